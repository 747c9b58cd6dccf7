import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** A database user and password, as the RDS-managed master secret holds them. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * Reads database credentials from a Secrets Manager secret shaped like the RDS-managed master
 * secret (`{"username": …, "password": …}`), caches them, and fetches them again on demand so a
 * rotated password is picked up without a restart.
 */
export class SecretCredentials {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  #current: Credentials | undefined;
  #inflight: Promise<Credentials> | undefined;
  #fetchedAt = 0;
  #generation = 0;

  constructor(secretId: string, client: SecretsManagerClient = new SecretsManagerClient({})) {
    this.#secretId = secretId;
    this.#client = client;
  }

  /** The cached credentials, fetched from Secrets Manager the first time; throws CredentialsError. */
  async get(): Promise<Credentials> {
    return this.#current ?? this.refresh();
  }

  /** Increases with every fetch that returned different credentials. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Fetches the secret again because credentials of generation `failed` were rejected. Callers
   * that failed with an older generation get the newer one without a request, concurrent callers
   * share one request, and while the secret keeps returning the same rejected value it is asked at
   * most once a second, so a burst of auth failures cannot flood Secrets Manager.
   */
  async refresh(failed = this.#generation): Promise<Credentials> {
    if (this.#current && failed < this.#generation) return this.#current;
    if (this.#inflight) return this.#inflight;
    if (this.#current && this.#unchangedSince > 0 && Date.now() - this.#fetchedAt < 1_000) {
      return this.#current;
    }
    this.#inflight = this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  // Number of consecutive fetches that returned the credentials already cached.
  #unchangedSince = 0;

  async #fetch(): Promise<Credentials> {
    let secretString: string | undefined;
    try {
      const out = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
      secretString = out.SecretString;
    } catch (err) {
      // The SDK's error names the failure (AccessDenied, ResourceNotFound…) and never the value.
      const name = err instanceof Error ? err.name : "Error";
      throw new CredentialsError(`cannot read database secret: ${name}`, { cause: err });
    }
    const parsed = parseSecret(secretString);
    const same =
      this.#current?.username === parsed.username && this.#current?.password === parsed.password;
    this.#unchangedSince = same ? this.#unchangedSince + 1 : 0;
    if (!same) this.#generation++;
    this.#current = parsed;
    this.#fetchedAt = Date.now();
    return parsed;
  }
}

/**
 * The database secret could not be read or is not shaped like the RDS master secret. Its message
 * names the failure (the SDK error's name, "not valid JSON", …) and never the secret's text;
 * `cause` keeps the SDK error when there is one.
 */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

function parseSecret(secretString: string | undefined): Credentials {
  if (!secretString) throw new CredentialsError("database secret has no SecretString");
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // Deliberately no detail: a JSON parser's message can quote the secret's text.
    throw new CredentialsError("database secret is not valid JSON");
  }
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as Record<string, unknown>).username !== "string" ||
    typeof (value as Record<string, unknown>).password !== "string"
  ) {
    throw new CredentialsError('database secret must hold string "username" and "password" keys');
  }
  const { username, password } = value as Credentials;
  return { username, password };
}
