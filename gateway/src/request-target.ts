import type { IncomingMessage } from "node:http";
import { Code } from "@infinity-pool/runtime/status";
import { badRequest, HttpError } from "./http-error.ts";

/** A request target as the router reads it: the raw path and the raw query, both still encoded. */
export interface RequestTarget {
  path: string;
  query: string;
}

// RFC 9112 §3.2.2: absolute-form = absolute-URI; for http(s), "//" authority path-abempty [ "?"
// query ]. The scheme is case-insensitive (RFC 3986 §3.1).
const absoluteForm = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?]*)(.*)$/s;

/**
 * The request target split into raw path and raw query (RFC 9112 §3.2). The origin-form
 * (`/v1/greetings?pageSize=2`) is what clients send; the absolute-form
 * (`http://host/v1/greetings`), which a server MUST accept (§3.2.2), is read as its path and
 * query, its authority ignored as the Host header is (the gateway serves one origin). Refused with
 * 400: an absolute-form with a scheme other than http/https, an empty host or userinfo (RFC 9110
 * §4.2.1, §4.2.4); the asterisk-form `*` (§3.2.4, only meaningful as `OPTIONS *`, which this
 * server does not answer); a fragment, which is never part of a request target. An unknown
 * `Expect` is refused with 417 (RFC 9110 §10.1.1). The authority-form of CONNECT never gets
 * here: the gateway's `connect` listener answers it.
 */
export function requestTarget(req: IncomingMessage): RequestTarget {
  let target = req.url ?? "";
  if (target === "*") {
    throw badRequest("the asterisk-form request target (OPTIONS *) is not served here");
  }
  if (!target.startsWith("/")) {
    const absolute = absoluteForm.exec(target);
    const scheme = absolute?.[1]?.toLowerCase();
    if (!absolute || (scheme !== "http" && scheme !== "https")) {
      throw badRequest("the request target must be an absolute path or an http(s) absolute URI");
    }
    const authority = absolute[2] as string;
    if (authority === "" || authority.includes("@")) {
      throw badRequest("the request target's authority must be a host without userinfo");
    }
    const rest = absolute[3] as string;
    // An empty path is "/" (RFC 9110 §4.2.3).
    target = rest.startsWith("/") ? rest : `/${rest}`;
  }
  if (target.includes("#")) throw badRequest("the request target must not contain a fragment");
  const expect = req.headers.expect;
  if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
    throw new HttpError(417, Code.INVALID_ARGUMENT, "only Expect: 100-continue is supported");
  }
  const q = target.indexOf("?");
  return q < 0
    ? { path: target, query: "" }
    : { path: target.slice(0, q), query: target.slice(q + 1) };
}
