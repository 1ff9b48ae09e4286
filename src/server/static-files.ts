import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, relative, resolve } from 'node:path';
import { lookup } from 'mrmime';
import sirv from 'sirv';

/** The file a URL path names inside the built UI, as a URL path sirv serves as is; or why not. */
export type StaticCheck = { ok: true; path: string } | { ok: false; status: 400 | 403 | 404; reason: string };

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** What the browser is told a file is: text in UTF-8, anything unknown as plain bytes (with nosniff). */
export function contentTypeOf(path: string): string {
  const type = lookup(path) ?? 'application/octet-stream';
  return type.startsWith('text/') || type === 'application/json' ? `${type}; charset=utf-8` : type;
}

/**
 * Checks a URL path (already parsed, so without `.` or `..` segments of its own) before anything
 * is served: bad percent-encoding and encoded separators are refused, as are `..` segments and
 * symlinks that lead out of the folder. A directory is not found (there is no listing); `/` is
 * index.html. What passes is exactly the file sirv will serve: no encoding is left that sirv
 * would read differently.
 */
export async function checkStatic(root: string, pathname: string): Promise<StaticCheck> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, reason: 'bad request: the path is not valid percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400, reason: 'bad request: bad characters in the path' };
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) return { ok: false, status: 403, reason: 'forbidden: path traversal' };
  // sirv decodes with decodeURI: an encoded `/`, `?` or `#` would name another file there.
  if (decodeURI(pathname) !== decoded) return { ok: false, status: 400, reason: 'bad request: encoded separators in the path' };
  const base = resolve(root);
  const names = segments.length === 0 ? ['index.html'] : segments;
  const path = resolve(base, ...names);
  if (!inside(base, path)) return { ok: false, status: 403, reason: 'forbidden: path traversal' };
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, status: 404, reason: 'not found' };
    const [realBase, realPath] = await Promise.all([realpath(base), realpath(path)]);
    if (!inside(realBase, realPath)) return { ok: false, status: 403, reason: 'forbidden: path traversal' };
  } catch {
    const what = segments.length === 0 ? 'not found: the UI is not built (index.html is missing)' : 'not found';
    return { ok: false, status: 404, reason: what };
  }
  return { ok: true, path: encodeURI(`/${names.join('/')}`) };
}

export type SendStatic = (request: IncomingMessage, response: ServerResponse, file: Extract<StaticCheck, { ok: true }>, notFound: () => void) => void;

/**
 * Serves checked files of the built UI with sirv: content type, length, ETag and 304, ranges,
 * HEAD. It looks each file up when asked (dev mode), as a rebuild swaps the folder under a running
 * server; what it would do beyond that (other extensions, a folder's index) never comes into play,
 * as it is only ever given a path checkStatic found to be a file.
 */
export function staticFiles(root: string): SendStatic {
  const serve = sirv(root, {
    dev: true,
    etag: true,
    extensions: [],
    setHeaders(response, pathname) {
      response.setHeader('Content-Type', contentTypeOf(pathname));
      // index.html names the hashed assets of the current build: never reuse an old one.
      response.setHeader('Cache-Control', pathname.toLowerCase().endsWith('.html') ? 'no-store' : 'no-cache');
    },
  });
  return (request, response, file, notFound) => {
    // sirv reads the raw request URL: hand it the path that was checked, and nothing else.
    request.url = file.path;
    // sirv pipes a read stream into the response without an error handler: a file gone between its
    // stat and its open (a rebuild swapping the folder) must end this response, not the server.
    response.once('pipe', (source) => source.once('error', () => response.destroy()));
    serve(request, response, notFound);
  };
}
