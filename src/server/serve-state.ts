import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorText } from '../protocol/error-text.js';

/**
 * What `clutch serve` keeps between starts, beside the run store (.clutch/serve.json by default):
 * the port it listened on and its token, so that a restarted server comes back where the open
 * tabs look for it, and lets them in. The file is the user's alone (mode 0600); one that others
 * may read has its token ignored, and a new one is made.
 */
export interface ServeState {
  port?: number;
  token?: string;
}

export function serveStateFile(storePath: string): string {
  return join(dirname(storePath), 'serve.json');
}

const tokenShape = /^[0-9a-f]{64}$/;

/** The state recorded in the file; none when there is no file, and a note saying why a part of it is not used. */
export function readServeState(file: string): ServeState & { note?: string } {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { note: `${file} cannot be read (${errorText(error)}); a free port and a new token are used` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Said below.
  }
  const fields = typeof data === 'object' && data !== null ? (data as { port?: unknown; token?: unknown }) : {};
  const { port, token } = fields;
  const state: ServeState = {
    ...(typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535 ? { port } : {}),
    ...(typeof token === 'string' && tokenShape.test(token) && (mode & 0o077) === 0 ? { token } : {}),
  };
  if (state.port === undefined) return { ...state, note: `${file} does not hold a port ({"port": N} with N from 1 to 65535); a free port is used, and the file is rewritten` };
  if (state.token === undefined && typeof token === 'string' && (mode & 0o077) !== 0) {
    return { ...state, note: `${file} may be read by other users: its token is not used, a new one is made` };
  }
  return state;
}

/** Records the state (a temp file renamed over the old one, so a kill never leaves half of it); a failure is a note. */
export function writeServeState(file: string, state: Required<ServeState>): string | undefined {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    renameSync(temp, file);
    return undefined;
  } catch (error) {
    return `the port could not be recorded in ${file} (${errorText(error)}); the next start may take another`;
  }
}
