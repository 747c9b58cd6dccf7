import { z } from "zod";

/**
 * A configuration problem. Its message is one line, `invalid configuration: <VAR> <problem>`, that
 * names the variable and never echoes its value, which may be a secret (a database URL with its
 * password, a token). Entry points print it as `<service>: <message>` and exit 1 (see startup.ts).
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The environment variable at fault, e.g. `"BACKEND_PORT"`. */
  readonly variable: string;

  constructor(variable: string, problem: string, options?: ErrorOptions) {
    super(`invalid configuration: ${variable} ${problem}`, options);
    this.variable = variable;
  }
}

/** A whole number in `[min, max]` written in decimal digits only (no sign, unit or exponent). */
export const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** `true`/`1` or `false`/`0`; anything else is refused rather than read as false. */
export const boolean = z
  .enum(["true", "false", "1", "0"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

/** A string with something other than white space in it, trimmed. */
export const nonEmpty = z.string().trim().min(1, "must not be empty");

/** pino's level names (https://getpino.io/#/docs/api?id=level-string); default `info`. */
export const logLevel = z
  .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    message: "must be one of fatal, error, warn, info, debug, trace, silent",
  })
  .default("info");

/**
 * Reads the variables `schema` names from `env`. Empty values count as unset, as a shell's `VAR=`
 * or a blanked Kubernetes env entry usually means "no value"; variables the schema does not name
 * are ignored. Throws ConfigError for the first variable that fails, naming it and not its value.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: NodeJS.ProcessEnv,
): z.output<z.ZodObject<Shape>> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") present[key] = value;
  }
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(String(issue?.path[0] ?? "configuration"), issue?.message ?? "is invalid");
}
