// Signal handling comes first and everything else loads after it (see ShutdownSignals).
import { ShutdownSignals } from "./shutdown.ts";

const signals = new ShutdownSignals();
const { start } = await import("./start.ts");
await start(signals);
