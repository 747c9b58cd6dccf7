// A private PostgreSQL cluster for tests: initdb + pg_ctl on a free loopback port, password auth,
// owned by the `postgres` OS user when the tests run as root (initdb refuses to run as root).
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

function findBinDir(): string | undefined {
  // An explicit directory is the only one tried, so a missing server can be simulated too.
  if (process.env.POSTGRES_BIN_DIR !== undefined) {
    const dir = process.env.POSTGRES_BIN_DIR;
    return existsSync(join(dir, "initdb")) ? dir : undefined;
  }
  const candidates: string[] = [];
  if (existsSync("/usr/lib/postgresql")) {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")));
}

const binDir = findBinDir();

export const postgresAvailable = binDir !== undefined;
export const postgresRequired = process.env.REQUIRE_POSTGRES === "1";
export const postgresSkipReason =
  "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql-15 or set POSTGRES_BIN_DIR";

if (!postgresAvailable) {
  if (postgresRequired) {
    throw new Error(`REQUIRE_POSTGRES=1 but ${postgresSkipReason}`);
  }
  console.warn(`skipping real-PostgreSQL tests: ${postgresSkipReason}`);
}

/** True when real-server tests must be skipped (binaries absent and not required). */
export const skipWithoutPostgres = !postgresAvailable && !postgresRequired;

export interface PostgresServer {
  /** Connection URL of the application role (not the superuser). */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Runs SQL as the superuser, against the application database unless another is named. */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** Sessions of the application role currently waiting for a lock. */
  lockWaiters(): Promise<number>;
  /** Ends every session of the application role, as a failover or an operator would. */
  terminateAppSessions(): Promise<void>;
  /** Connection settings of the superuser, for tests that need a session of their own. */
  superuserConfig(): pg.ClientConfig;
  /** Creates another empty database owned by the application role and returns its URL. */
  createDatabase(name: string): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

const asRoot = process.getuid?.() === 0;

async function asOwner(cmd: string, args: string[]): Promise<void> {
  if (asRoot) {
    await run("runuser", ["-u", "postgres", "--", cmd, ...args]);
  } else {
    await run(cmd, args);
  }
}

export interface PostgresOptions {
  /** Serve TLS with this certificate and key (PEM), as Aurora does. */
  tls?: { cert: string; key: string };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (!binDir) throw new Error(postgresSkipReason);
  const dir = mkdtempSync(join(tmpdir(), "infinity-pool-pg-"));
  const dataDir = join(dir, "data");
  const socketDir = join(dir, "socket");
  const superPassword = randomBytes(18).toString("base64url");
  const password = randomBytes(18).toString("base64url");
  const pwFile = join(dir, "pwfile");
  writeFileSync(pwFile, superPassword);
  if (asRoot) {
    for (const path of [dir, pwFile]) chownSync(path, uidOf("postgres"), gidOf("postgres"));
  }
  chmodSync(dir, 0o700);
  await asOwner(join(binDir, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${pwFile}`,
    "--no-sync",
  ]);
  await asOwner("mkdir", ["-p", socketDir]);
  let tlsSettings = "";
  if (options.tls) {
    const certFile = join(dir, "server.crt");
    const keyFile = join(dir, "server.key");
    writeFileSync(certFile, options.tls.cert);
    writeFileSync(keyFile, options.tls.key, { mode: 0o600 });
    if (asRoot) {
      for (const path of [certFile, keyFile]) chownSync(path, uidOf("postgres"), gidOf("postgres"));
    }
    tlsSettings = ` -c ssl=on -c ssl_cert_file=${certFile} -c ssl_key_file=${keyFile}`;
  }
  const port = await freePort();
  const host = "127.0.0.1";
  const pgCtl = async (action: "start" | "stop") => {
    const args =
      action === "start"
        ? [
            "-D",
            dataDir,
            "-l",
            join(dataDir, "server.log"),
            "-o",
            `-p ${port} -k ${socketDir} -h ${host} -c fsync=off -c max_connections=200${tlsSettings}`,
            "-w",
            "start",
          ]
        : ["-D", dataDir, "-m", "fast", "-w", "stop"];
    await asOwner(join(binDir, "pg_ctl"), args);
  };
  await pgCtl("start");

  const superConfig = { host, port, user: "postgres", password: superPassword };
  const user = "infinity";
  const database = "infinitypool";
  await withClient({ ...superConfig, database: "postgres" }, async (client) => {
    await client.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await client.query(`CREATE DATABASE ${database} OWNER ${user}`);
  });

  let running = true;
  const server: PostgresServer = {
    url: `postgres://${user}:${password}@${host}:${port}/${database}`,
    host,
    port,
    database,
    user,
    password,
    superuserConfig: () => ({ ...superConfig, database }),
    // A fresh session each time: inside a transaction pg_stat_activity is a frozen snapshot.
    lockWaiters: async () =>
      (
        await server.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
          [user],
        )
      ).rows[0].n,
    terminateAppSessions: async () => {
      await server.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
        [user],
      );
    },
    query: (sql, params, other) =>
      withClient({ ...superConfig, database: other ?? database }, (client) =>
        client.query(sql, params),
      ),
    async createDatabase(name) {
      await withClient({ ...superConfig, database: "postgres" }, (client) =>
        client.query(`CREATE DATABASE ${name} OWNER ${user}`),
      );
      return `postgres://${user}:${password}@${host}:${port}/${name}`;
    },
    async start() {
      if (!running) await pgCtl("start");
      running = true;
    },
    async stop() {
      if (running) await pgCtl("stop");
      running = false;
    },
    async destroy() {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function withClient<T>(
  config: pg.ClientConfig,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function uidOf(name: string): number {
  return idOf(name, 2);
}

function gidOf(name: string): number {
  return idOf(name, 3);
}

function idOf(name: string, field: number): number {
  const line = execFileSyncText("getent", ["passwd", name]);
  const value = Number(line.split(":")[field]);
  if (!Number.isInteger(value)) throw new Error(`cannot resolve user ${name}`);
  return value;
}

function execFileSyncText(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8" });
}
