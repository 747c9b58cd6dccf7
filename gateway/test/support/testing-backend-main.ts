// The testing backend as a process of its own, for tests that kill it: prints `{"port":N}`.
import { startTestingBackend } from "./testing-backend.ts";

const backend = await startTestingBackend();
console.log(JSON.stringify({ port: backend.port }));
