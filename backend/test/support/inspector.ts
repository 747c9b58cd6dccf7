// The V8 heap of a child process, read through the Node.js inspector (Chrome DevTools Protocol):
// after a full garbage collection, heapUsed is what the process still holds on to, without the
// noise of RSS, which follows the heap's capacity rather than its contents.
import { expect } from "vitest";
import type { BackendProcess } from "./backend-process.ts";

/** Environment that makes a child open the inspector on a free loopback port. */
export const inspectorEnv = { NODE_OPTIONS: "--inspect=127.0.0.1:0" };

/** Bytes of V8 heap in use after a forced full collection. */
export async function heapUsedAfterGc(backend: BackendProcess): Promise<number> {
  let url: string | undefined;
  await expect
    .poll(() => {
      url = backend
        .logs()
        .map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1])
        .find((u) => u !== undefined);
      return url;
    })
    .toBeDefined();
  const socket = new WebSocket(url as string);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data));
        if (message.id !== id) return;
        socket.removeEventListener("message", onMessage);
        if (message.error) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result);
      };
      socket.addEventListener("message", onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.collectGarbage");
    const result = await call("Runtime.evaluate", {
      expression: "process.memoryUsage().heapUsed",
      returnByValue: true,
    });
    return (result.result as { value: number }).value;
  } finally {
    socket.close();
  }
}
