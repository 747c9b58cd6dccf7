// "Where everything is", printed once both services listen: taken from their own "listening" log
// lines, so ports and hosts are the ones they really use.

/** The gateway's variable for bearer tokens that allow writes (test/start.test.ts checks it). */
export const writeTokensVariable = "WRITE_TOKENS";

/** What the banner needs from the two listening lines. */
export interface Listening {
  /** The gateway's line: `url`, and `docs`, `metrics`, `writes` when it logs them. */
  gateway: Record<string, unknown>;
  /** The backend's line: `port` and `database`. */
  backend: Record<string, unknown>;
}

/** True for the line a service writes once it accepts connections. */
export function isListeningLine(service: string, entry: Record<string, unknown>): boolean {
  return (
    entry.service === service &&
    typeof entry.msg === "string" &&
    entry.msg.startsWith(`${service} listening`)
  );
}

function text(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

/**
 * The banner as lines, e.g. `API       http://localhost:8080/`. `bold` and `dim` style a
 * terminal's text (identity functions without colours).
 */
export function bannerLines(
  listening: Listening,
  style: { bold: (s: string) => string; dim: (s: string) => string } = {
    bold: (s) => s,
    dim: (s) => s,
  },
): string[] {
  const api = text(listening.gateway.url, "http://localhost:8080/");
  const base = api.replace(/\/$/, "");
  const host = new URL(api).hostname;
  const grpc = `${host}:${String(listening.backend.port ?? 50051)}`;
  const database =
    listening.backend.database === "pglite"
      ? "embedded PostgreSQL (PGlite), data in PGLITE_DATA_DIR (default .data/pglite)"
      : "PostgreSQL (DATABASE_URL or DB_HOST)";
  const writes =
    listening.gateway.writes === "enabled"
      ? `allowed with a bearer token from ${writeTokensVariable}`
      : `off: ${writeTokensVariable}=<token> npm start allows POST /v1/greetings with that bearer token`;
  const row = (name: string, value: string, hint = "") =>
    `  ${style.bold(name.padEnd(9))} ${value}${hint ? `   ${style.dim(hint)}` : ""}`;
  return [
    "",
    `  ${style.bold("Infinity Pool is up.")} Ctrl-C stops both services.`,
    "",
    row("API", api, `curl ${base.replace(/^http:\/\//, "")}/`),
    row("API docs", text(listening.gateway.docs, `${base}/docs`)),
    row("OpenAPI", `${base}/openapi.json`),
    // Only as the gateway logs it: /metrics is on the admin port, and the public one answers 404.
    ...(typeof listening.gateway.metrics === "string"
      ? [row("Metrics", listening.gateway.metrics)]
      : []),
    row("gRPC", `${grpc}`, "gRPC, gRPC-Web and Connect over h2c, with reflection"),
    row("", `grpcurl -plaintext ${grpc} list`),
    row("Database", database),
    row("Writes", writes),
    "",
  ];
}
