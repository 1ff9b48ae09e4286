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

/** Sent with every response: no framing by other pages, no token in a Referer, no sniffing. */
const baseHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** The request's URL; the path part only, never trusting the Host for it. */
export function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1');
  } catch {
    return undefined;
  }
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    ...baseHeaders,
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
      if (!response.headersSent) sendText(response, 500, `internal error: ${errorText(error)}`);
      else response.destroy();
    });
  };
}

async function handle(options: HttpOptions, sendStatic: SendStatic, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = requestUrl(request);
  if (!url) return sendText(response, 400, 'bad request: unreadable URL');
  const access = checkAccess(request, url, { port: options.port(), tokenMatches: options.tokenMatches, upgrade: false });
  if (!access.ok) return sendText(response, access.status, access.reason);
  // The page and everything it loads after it carry the token as an HttpOnly cookie from here on.
  const cookie: Record<string, string> = access.via === 'query' ? { 'Set-Cookie': tokenCookie(options.token) } : {};
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendText(response, 405, 'method not allowed', { ...cookie, Allow: 'GET, HEAD' });
  }
  if (url.pathname === '/api/health') {
    const body = JSON.stringify({ ok: true });
    response.writeHead(200, {
      ...baseHeaders,
      ...cookie,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (url.pathname.startsWith('/api/')) return sendText(response, 404, 'not found', cookie);
  if (url.pathname === '/ws') return sendText(response, 426, 'upgrade required: /ws is the WebSocket', cookie);
  const found = await checkStatic(options.staticDir, url.pathname);
  if (!found.ok) return sendText(response, found.status, found.reason, cookie);
  for (const [name, value] of Object.entries({ ...baseHeaders, ...cookie })) response.setHeader(name, value);
  // Gone since it was checked (a rebuild swapped the folder): as missing as any other file.
  sendStatic(request, response, found, () => sendText(response, 404, 'not found'));
}
