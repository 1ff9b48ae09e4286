import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';

export const TOKEN_COOKIE = 'clutch_token';
export const TOKEN_HEADER = 'x-clutch-token';

export type Access =
  | { ok: true; via: 'query' | 'cookie' | 'header' }
  | { ok: false; status: 401 | 403; reason: string };

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Compares in constant time; hashing first makes both sides the same length. */
export function tokenChecker(expected: string): (candidate: string | undefined) => boolean {
  const want = digest(expected);
  return (candidate) => candidate !== undefined && timingSafeEqual(want, digest(candidate));
}

/** A Host that names this server on loopback: a page served under any other name is refused (DNS rebinding). */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const lower = host.toLowerCase();
  return lower === `127.0.0.1:${port}` || lower === `localhost:${port}` || lower === `[::1]:${port}`;
}

/** The page this server serves, and no other, may open its socket. */
export function isSameOrigin(origin: string | undefined, port: number): boolean {
  if (!origin) return false;
  const lower = origin.toLowerCase();
  return lower === `http://127.0.0.1:${port}` || lower === `http://localhost:${port}`;
}

/**
 * Who may talk to the server: a loopback Host always, a same-origin Origin for socket upgrades,
 * and the token from the query, the cookie or the header. Host and Origin come first: a request
 * from a foreign page is refused as such whatever it carries.
 */
export function checkAccess(
  request: IncomingMessage,
  url: URL,
  options: { port: number; tokenMatches: (candidate: string | undefined) => boolean; upgrade: boolean },
): Access {
  if (!isLoopbackHost(request.headers.host, options.port)) return { ok: false, status: 403, reason: 'forbidden: not a loopback Host' };
  if (options.upgrade && !isSameOrigin(request.headers.origin, options.port)) {
    return { ok: false, status: 403, reason: 'forbidden: the Origin is not this server' };
  }
  if (options.tokenMatches(url.searchParams.get('token') ?? undefined)) return { ok: true, via: 'query' };
  if (options.tokenMatches(tokenFromCookies(request.headers.cookie))) return { ok: true, via: 'cookie' };
  const header = request.headers[TOKEN_HEADER];
  if (options.tokenMatches(Array.isArray(header) ? header[0] : header)) return { ok: true, via: 'header' };
  return { ok: false, status: 401, reason: 'unauthorized: open the URL that `clutch serve` printed (it carries the token)' };
}

/** The token cookie of a Cookie header (the first, if it is there twice). */
function tokenFromCookies(header: string | undefined): string | undefined {
  return header === undefined ? undefined : parseCookie(header)[TOKEN_COOKIE];
}

/** Set once the token came in the query: the page's scripts never see it, and no other site sends it. */
export function tokenCookie(token: string): string {
  return stringifySetCookie({ name: TOKEN_COOKIE, value: token, httpOnly: true, sameSite: 'strict', path: '/' });
}
