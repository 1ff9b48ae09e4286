import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkAccess, tokenCookie } from './auth.js';
import { checkStatic, staticFiles, type SendStatic } from './static-files.js';
import { errorText } from '../protocol/error-text.js';

export interface HttpOptions {
  staticDir: string;
  token: string;
  tokenMatches: (candidate: string | undefined) => boolean;
  /** The port the server listens on (known once it listens). */
  port: () => number;
}

/**
 * Sent with every response: no framing by other pages, no token in a Referer, no sniffing, no
 * window shared with a page of another origin, nothing of ours embedded by one, and a page that
 * runs only the built app's own files. The built app has no inline script (Vite writes none) and
 * needs no eval; styles may be inline, as React's style attributes and CodeMirror's injected
 * style elements are. Its socket is this server's, under whichever loopback name the page has.
 */
export function securityHeaders(port: number): Record<string, string> {
  // [::1] has no place in a CSP source list (browsers ignore the whole entry, and say so); 'self' covers it.
  const socket = ['127.0.0.1', 'localhost'].map((host) => `ws://${host}:${port}`).join(' ');
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${socket}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': policy,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
}

/** The request's URL; the path part only, never trusting the Host for it. */
export function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

/** A plain text answer; `headers` come on top of the security headers of the server's port. */
export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}, port = 0): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    ...securityHeaders(port),
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

/** Refuses a WebSocket upgrade with a plain HTTP answer and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      `\r\n${body}`,
  );
}

/** Every request needs a loopback Host and the token; then /api/health, or a file of the built UI. */
export function createRequestHandler(options: HttpOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const sendStatic = staticFiles(options.staticDir);
  return (request, response) => {
    handle(options, sendStatic, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendText(response, 500, `internal error: ${errorText(error)}`, {}, options.port());
      else response.destroy();
    });
  };
}

async function handle(options: HttpOptions, sendStatic: SendStatic, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const port = options.port();
  const text = (status: number, body: string, headers: Record<string, string> = {}) => sendText(response, status, body, headers, port);
  const url = requestUrl(request);
  if (!url) return text(400, 'bad request: unreadable URL');
  const access = checkAccess(request, url, { port, tokenMatches: options.tokenMatches, upgrade: false });
  if (!access.ok) return text(access.status, access.reason);
  // The page and everything it loads after it carry the token as an HttpOnly cookie from here on.
  const cookie: Record<string, string> = access.via === 'query' ? { 'Set-Cookie': tokenCookie(options.token) } : {};
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return text(405, 'method not allowed', { ...cookie, Allow: 'GET, HEAD' });
  }
  if (url.pathname === '/api/health') {
    const body = JSON.stringify({ ok: true });
    response.writeHead(200, {
      ...securityHeaders(port),
      ...cookie,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (url.pathname.startsWith('/api/')) return text(404, 'not found', cookie);
  if (url.pathname === '/ws') return text(426, 'upgrade required: /ws is the WebSocket', cookie);
  const found = await checkStatic(options.staticDir, url.pathname);
  if (!found.ok) return text(found.status, found.reason, cookie);
  for (const [name, value] of Object.entries({ ...securityHeaders(port), ...cookie })) response.setHeader(name, value);
  // Gone since it was checked (a rebuild swapped the folder): as missing as any other file.
  sendStatic(request, response, found, () => text(404, 'not found'));
}
