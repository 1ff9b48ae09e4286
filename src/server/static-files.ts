import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, isAbsolute, relative, resolve } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticResult = { status: 200; path: string; body: Buffer } | { status: 400 | 403 | 404; reason: string };

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Finds the file for a URL path inside the built UI. `..` segments, encoded separators and
 * symlinks that lead out of the folder are refused; `/` is index.html.
 */
export async function findStatic(root: string, pathname: string): Promise<StaticResult> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 400, reason: 'bad request: the path is not valid percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400, reason: 'bad request: bad characters in the path' };
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) return { status: 403, reason: 'forbidden: path traversal' };
  const base = resolve(root);
  const path = resolve(base, ...(segments.length === 0 ? ['index.html'] : segments));
  if (!inside(base, path)) return { status: 403, reason: 'forbidden: path traversal' };
  try {
    const info = await stat(path);
    if (!info.isFile()) return { status: 404, reason: 'not found' };
    const [realBase, realPath] = await Promise.all([realpath(base), realpath(path)]);
    if (!inside(realBase, realPath)) return { status: 403, reason: 'forbidden: path traversal' };
    return { status: 200, path, body: await readFile(realPath) };
  } catch {
    const what = segments.length === 0 ? 'not found: the UI is not built (index.html is missing)' : 'not found';
    return { status: 404, reason: what };
  }
}

export function sendStatic(response: ServerResponse, result: Extract<StaticResult, { status: 200 }>, head: boolean, headers: Record<string, string> = {}): void {
  const isHtml = extname(result.path).toLowerCase() === '.html';
  response.writeHead(200, {
    ...headers,
    'Content-Type': contentTypeOf(result.path),
    'Content-Length': String(result.body.length),
    // index.html names the hashed assets of the current build: never reuse an old one.
    'Cache-Control': isHtml ? 'no-store' : 'no-cache',
  });
  response.end(head ? undefined : result.body);
}
