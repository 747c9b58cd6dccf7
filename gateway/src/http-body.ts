import type { IncomingMessage } from "node:http";
import { decodeJsonText, ProtoJsonError } from "@infinity-pool/runtime/protojson";
import { Code } from "@infinity-pool/runtime/status";
import { badRequest, HttpError } from "./http-error.ts";

/** True when the request announces a body (a zero Content-Length does not count). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

function unsupportedMediaType(message: string, headers: Record<string, string> = {}): HttpError {
  return new HttpError(415, Code.INVALID_ARGUMENT, message, headers);
}

function checkContentType(req: IncomingMessage): void {
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
    // Decompressing would bypass the size limit; Accept-Encoding says what is accepted (RFC 7694).
    throw unsupportedMediaType("the request body must not be compressed", {
      "accept-encoding": "identity",
    });
  }
  const header = req.headers["content-type"];
  const [type, ...params] = (header ?? "").split(";").map((p) => p.trim().toLowerCase());
  if (type !== "application/json") {
    throw unsupportedMediaType("the request body must be application/json");
  }
  for (const param of params) {
    if (param.startsWith("charset=") && !/^charset="?utf-8"?$/.test(param)) {
      throw unsupportedMediaType("the request body must be UTF-8 JSON");
    }
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, Code.INVALID_ARGUMENT, `the request body exceeds ${limit} bytes`, {
    connection: "close",
  });
}

/**
 * Reads the text of a JSON request body of at most `limit` bytes: strict UTF-8, decoded as the
 * backend decodes its own JSON (`@infinity-pool/runtime/protojson`). An absent or empty body is
 * undefined. The declared length is checked before reading, and the running total while reading,
 * so an oversized upload is refused without being buffered. The text is parsed with the route's
 * message in mind by request-mapping.ts.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
): Promise<string | undefined> {
  if (!hasBody(req)) return undefined;
  checkContentType(req);
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        // Keep draining so the socket is not stuck; the response closes the connection.
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
  if (bytes.length === 0) return undefined;
  try {
    return decodeJsonText(bytes);
  } catch (e) {
    if (e instanceof ProtoJsonError) throw badRequest("the request body is not valid UTF-8");
    throw e;
  }
}
