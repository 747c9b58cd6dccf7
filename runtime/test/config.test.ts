import { describe, expect, it } from "vitest";
import { z } from "zod";
import { boolean, ConfigError, integer, logLevel, nonEmpty, parseEnv } from "../src/config.ts";

const schema = z.object({
  PORT: integer(1, 65535).default(8080),
  ENABLED: boolean.default(false),
  NAME: nonEmpty.optional(),
  LOG_LEVEL: logLevel,
});

/** The ConfigError parseEnv throws for `env`. */
function refused(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("ConfigError", () => {
  it("says `invalid configuration: <VAR> <problem>` and keeps its cause", () => {
    const cause = new Error("underlying");
    const err = new ConfigError("DB_PORT", "must be a whole number", { cause });
    expect(err.name).toBe("ConfigError");
    expect(err.variable).toBe("DB_PORT");
    expect(err.message).toBe("invalid configuration: DB_PORT must be a whole number");
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
  });
});

describe("parseEnv", () => {
  it("applies defaults and ignores variables the schema does not name", () => {
    expect(parseEnv(schema, { HOME: "/root" })).toEqual({
      PORT: 8080,
      ENABLED: false,
      LOG_LEVEL: "info",
    });
  });

  it("counts empty values as unset", () => {
    expect(parseEnv(schema, { PORT: "", ENABLED: "", NAME: "" })).toEqual({
      PORT: 8080,
      ENABLED: false,
      LOG_LEVEL: "info",
    });
  });

  it("names the first variable at fault, never its value", () => {
    const err = refused({ PORT: "eighty-s3cret", ENABLED: "maybe" });
    expect(err.variable).toBe("PORT");
    expect(err.message).toBe("invalid configuration: PORT must be a whole number");
    expect(err.message).not.toContain("s3cret");
  });
});

describe("integer", () => {
  it.each(["1", "8080", "65535"])("accepts %s", (v) => {
    expect(parseEnv(schema, { PORT: v }).PORT).toBe(Number(v));
  });

  it.each(["-1", "1.5", "1e3", " 80", "0x50", "80ms"])("refuses %j as not a whole number", (v) => {
    expect(refused({ PORT: v }).message).toBe("invalid configuration: PORT must be a whole number");
  });

  it.each(["0", "65536"])("refuses %s outside its range", (v) => {
    expect(refused({ PORT: v }).variable).toBe("PORT");
  });
});

describe("boolean", () => {
  it.each([
    ["true", true],
    ["1", true],
    ["false", false],
    ["0", false],
  ])("reads %s as %s", (v, expected) => {
    expect(parseEnv(schema, { ENABLED: v }).ENABLED).toBe(expected);
  });

  it.each(["yes", "TRUE", "on", "off"])("refuses %j rather than reading it as false", (v) => {
    expect(refused({ ENABLED: v }).message).toBe(
      "invalid configuration: ENABLED must be true or false",
    );
  });
});

describe("nonEmpty and logLevel", () => {
  it("trims, and refuses white space only", () => {
    expect(parseEnv(schema, { NAME: " db " }).NAME).toBe("db");
    expect(refused({ NAME: "   " }).message).toBe("invalid configuration: NAME must not be empty");
  });

  it("accepts pino's level names only", () => {
    expect(parseEnv(schema, { LOG_LEVEL: "debug" }).LOG_LEVEL).toBe("debug");
    expect(refused({ LOG_LEVEL: "loud" }).message).toBe(
      "invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent",
    );
  });
});
