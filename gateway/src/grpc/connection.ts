import http2, { type ClientHttp2Session } from "node:http2";
import { connect, type Socket } from "node:net";
import { Backoff } from "./backoff.ts";
import { type Address, addressKey } from "./target.ts";

/** How connections are made and kept; durations in milliseconds. */
export interface ConnectionSettings {
  /** The `:authority` of calls, and the origin the HTTP/2 session is opened for. */
  authority: string;
  /** A PING this long after the last one while calls are open; 0 disables keepalive. */
  keepaliveTimeMs: number;
  /** The connection is dropped when a PING is not answered within this long. */
  keepaliveTimeoutMs: number;
  /** First delay between connection attempts to an address that refused one. */
  initialBackoffMs: number;
  /** Longest delay between connection attempts. */
  maxBackoffMs: number;
}

/**
 * The states of https://github.com/grpc/grpc/blob/master/doc/connectivity-semantics-and-api.md,
 * as one address's connection goes through them.
 */
export type ConnectivityState = "idle" | "connecting" | "ready" | "transient-failure";

// GOAWAY ENHANCE_YOUR_CALM with this debug data: the server wants fewer keepalive pings (gRFC A8).
const tooManyPings = Buffer.from("too_many_pings");
// grpc-js caps the keepalive interval it doubles after "too_many_pings" at about 24.8 days.
const maxKeepaliveTimeMs = 2 ** 31 - 1;

/**
 * One HTTP/2 session to one address, with the calls open on it. It ends, once, when the server
 * sends GOAWAY (no new calls; open ones finish) or the connection breaks (open calls fail as
 * UNAVAILABLE: `dropped` is set before their streams report closing). While calls are open it
 * sends a keepalive PING every `keepaliveTimeMs` and drops the connection when one is not
 * answered within `keepaliveTimeoutMs` (gRFC A8, as grpc-js does without
 * `keepalive_permit_without_calls`).
 */
export class Transport {
  readonly session: ClientHttp2Session;
  /** The peer address, for messages. */
  readonly peer: string;
  /** True once the connection broke; a call still open on it ends UNAVAILABLE. */
  dropped = false;
  /** True once this transport takes no new calls (GOAWAY received, broken, or closed by us). */
  ended = false;
  #open = 0;
  readonly #keepaliveTimeMs: number;
  readonly #keepaliveTimeoutMs: number;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #pingDue = false;
  readonly #onEnd: (transport: Transport, tooManyPings: boolean) => void;

  constructor(
    session: ClientHttp2Session,
    peer: string,
    keepaliveTimeMs: number,
    keepaliveTimeoutMs: number,
    onEnd: (transport: Transport, tooManyPings: boolean) => void,
  ) {
    this.session = session;
    this.peer = peer;
    this.#keepaliveTimeMs = keepaliveTimeMs;
    this.#keepaliveTimeoutMs = keepaliveTimeoutMs;
    this.#onEnd = onEnd;
    session.once("goaway", (code: number, _lastStreamId: number, data?: Buffer) => {
      const calm = code === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM;
      this.#end(calm && data?.equals(tooManyPings) === true);
    });
    const broken = () => this.#drop();
    session.once("close", broken);
    session.on("error", broken);
    session.socket.once("close", broken);
  }

  /** Counts a call that starts on this transport; the first one starts keepalive pings. */
  callStarted(): void {
    if (++this.#open === 1) this.#keepalive();
  }

  /** Counts a call that ended. */
  callEnded(): void {
    this.#open--;
  }

  /** Stops new calls and closes the session once its open calls have finished. */
  close(): void {
    this.#end(false);
    this.#stopKeepalive();
    if (!this.session.closed) this.session.close();
  }

  /** Closes the connection at once; open calls end UNAVAILABLE. */
  destroy(): void {
    this.#drop();
    this.session.destroy();
  }

  #end(tooManyPingsReceived: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.#onEnd(this, tooManyPingsReceived);
  }

  #drop(): void {
    this.dropped = true;
    this.#stopKeepalive();
    this.#end(false);
  }

  #keepalive(): void {
    if (this.#keepaliveTimeMs <= 0 || this.dropped || this.#keepaliveTimer !== undefined) return;
    if (this.#pingDue) {
      this.#ping();
      return;
    }
    this.#keepaliveTimer = setTimeout(() => {
      this.#keepaliveTimer = undefined;
      // With no call open the ping waits for the next call, which sends it at once.
      if (this.#open > 0) this.#ping();
      else this.#pingDue = true;
    }, this.#keepaliveTimeMs);
    this.#keepaliveTimer.unref();
  }

  #ping(): void {
    this.#pingDue = false;
    this.#keepaliveTimer = setTimeout(() => {
      this.#keepaliveTimer = undefined;
      this.destroy();
    }, this.#keepaliveTimeoutMs);
    this.#keepaliveTimer.unref();
    let sent = false;
    try {
      sent = this.session.ping((error) => {
        this.#stopKeepalive();
        if (error) this.destroy();
        else this.#keepalive();
      });
    } catch {
      sent = false;
    }
    if (!sent) this.destroy();
  }

  #stopKeepalive(): void {
    clearTimeout(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
  }
}

/**
 * The connection to one address of the target, kept up for as long as the address is resolved:
 * it connects at once, reconnects at once when a ready connection ends (GOAWAY or break), and
 * after a failed attempt waits out the backoff (200 ms growing to 2 s by default) before the
 * next. A connection that failed is reported as `transient-failure` until it is ready again,
 * even while it retries (grpc-js's "sticky" transient failure), so calls do not wait on an
 * address that keeps refusing them. `onChange` hears every change of `state`.
 */
export class Connection {
  readonly address: Address;
  readonly key: string;
  state: ConnectivityState = "idle";
  /** The ready transport; undefined unless `state` is "ready". */
  transport: Transport | undefined;
  /** Why the last attempt failed, for UNAVAILABLE messages. */
  lastError = "";
  /** Failed since it was last ready: calls are not queued for it. */
  failing = false;
  readonly #settings: ConnectionSettings;
  readonly #backoff: Backoff;
  readonly #onChange: (connection: Connection) => void;
  #keepaliveTimeMs: number;
  #closed = false;
  #attempt: { socket: Socket; session: ClientHttp2Session | undefined } | undefined;

  constructor(
    address: Address,
    settings: ConnectionSettings,
    onChange: (connection: Connection) => void,
  ) {
    this.address = address;
    this.key = addressKey(address);
    this.#settings = settings;
    this.#keepaliveTimeMs = settings.keepaliveTimeMs;
    this.#onChange = onChange;
    this.#backoff = new Backoff(settings.initialBackoffMs, settings.maxBackoffMs, () => {
      if (this.state === "transient-failure") this.connect();
    });
  }

  /** Starts a connection attempt unless one is under way or the connection is ready. */
  connect(): void {
    if (this.#closed || this.state === "connecting" || this.state === "ready") return;
    this.#setState("connecting");
    this.#backoff.run();
    const socket =
      "path" in this.address
        ? connect(this.address.path)
        : connect(this.address.port, this.address.host);
    const attempt: { socket: Socket; session: ClientHttp2Session | undefined } = {
      socket,
      session: undefined,
    };
    this.#attempt = attempt;
    const fail = (error?: Error) => {
      if (this.#attempt !== attempt) return;
      this.#attempt = undefined;
      attempt.session?.destroy();
      socket.destroy();
      this.lastError = `${error?.message ?? "Connection closed before it was ready"} (${new Date().toISOString()})`;
      this.failing = true;
      this.#setState("transient-failure");
      // A backoff that ran out during the attempt lets the next one start right away.
      if (!this.#backoff.running) process.nextTick(() => this.connect());
    };
    const closed = () => fail();
    socket.once("error", fail);
    socket.once("close", closed);
    socket.once("connect", () => {
      socket.setNoDelay(true);
      const session = http2.connect(`http://${this.#settings.authority}`, {
        createConnection: () => socket,
        // grpc-js's settings: no limit on header blocks or on the session's buffered memory.
        maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
        maxSessionMemory: Number.MAX_SAFE_INTEGER,
      });
      attempt.session = session;
      // Sessions never keep the process alive: a call's deadline timer does while it runs.
      session.unref();
      session.once("error", fail);
      // Ready once the server's SETTINGS arrive: it speaks HTTP/2.
      session.once("remoteSettings", () => {
        if (this.#attempt !== attempt) return;
        this.#attempt = undefined;
        socket.removeListener("error", fail).removeListener("close", closed);
        session.removeListener("error", fail);
        this.#ready(session);
      });
    });
  }

  #ready(session: ClientHttp2Session): void {
    const peer = this.key;
    const transport = new Transport(
      session,
      peer,
      this.#keepaliveTimeMs,
      this.#settings.keepaliveTimeoutMs,
      (ended, tooManyPings) => {
        if (tooManyPings) {
          this.#keepaliveTimeMs = Math.min(this.#keepaliveTimeMs * 2, maxKeepaliveTimeMs);
        }
        if (this.transport !== ended) return;
        this.transport = undefined;
        this.#setState("idle");
        // Reconnect at once, as round robin keeps every address connected.
        this.connect();
      },
    );
    this.#backoff.reset();
    this.failing = false;
    this.transport = transport;
    this.#setState("ready");
  }

  /**
   * Takes the address out of service: no new calls, no reconnection; open calls finish and the
   * session closes after them.
   */
  close(): void {
    this.#closed = true;
    this.#backoff.stop();
    const attempt = this.#attempt;
    this.#attempt = undefined;
    attempt?.session?.destroy();
    attempt?.socket.destroy();
    const transport = this.transport;
    this.transport = undefined;
    this.#setState("idle");
    transport?.close();
  }

  /** Closes the connection at once, open calls included. */
  destroy(): void {
    const transport = this.transport;
    this.close();
    transport?.destroy();
  }

  #setState(state: ConnectivityState): void {
    if (this.state === state) return;
    this.state = state;
    this.#onChange(this);
  }
}
