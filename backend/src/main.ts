// Signal handling comes first and everything else loads after it (see ShutdownSignals).
import { ShutdownSignals } from "@infinity-pool/runtime/signals";

const signals = new ShutdownSignals("backend");
const { start } = await import("./start.ts");
await start(signals);
