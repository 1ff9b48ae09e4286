import { readFileSync } from 'node:fs';

/** One problem in a configuration file, positioned like a compiler diagnostic (1-based). */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigIssue[] };

/** `file:line:column: message`, the shape editors and terminals turn into links. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/** All issues of a result, one per line, for a CLI to print. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

/** Sorted by position so a reader can fix a file top to bottom; stable for equal positions. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map(({ issue }) => issue);
}

export function failed<T>(errors: ConfigIssue[]): ConfigResult<T> {
  return { ok: false, errors: sortIssues(errors) };
}

/**
 * Reads a configuration file. A missing or unreadable file is an issue at 1:1 rather than an
 * exception, so callers report it exactly like any other configuration error.
 */
export function readSource(file: string): { ok: true; text: string } | { ok: false; errors: ConfigIssue[] } {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'ENOENT: no such file' : err.code ?? err.message;
    const detail = err.code === 'EISDIR' ? 'EISDIR: it is a directory' : reason;
    return { ok: false, errors: [{ file, line: 1, column: 1, message: `cannot read ${file}: ${detail}` }] };
  }
}
