import { errorText } from '../protocol/error-text.js';
/** A problem with the run store that the user can act on: it names the file and what to do. */
export class StoreError extends Error {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'StoreError';
    this.path = path;
  }
}

/** SQLite's error code (SQLITE_BUSY, SQLITE_NOTADB, ...), when the error has one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns what SQLite says into what the user should do; rethrows anything that is not SQLite's. */
export function describeSqliteError(path: string, error: unknown): StoreError {
  const code = sqliteCode(error) ?? '';
  const detail = errorText(error);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    return new StoreError(path, `the run store is locked by another process (${detail}); close the other program using it, or wait for it to finish, then try again`, { cause: error });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(
      path,
      `this is not a readable Clutch run store (${detail}). Nothing was changed. Move the file aside to start a new store, or point [execution] store in agents.toml at another file`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new StoreError(path, `cannot use the run store (${detail}); check that the folder exists, is writable and has free space`, { cause: error });
  }
  return new StoreError(path, `run store error: ${detail}`, { cause: error });
}
