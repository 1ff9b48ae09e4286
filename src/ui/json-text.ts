import { errorText } from '../protocol/error-text.js';
export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON typed by a human: a parse failure is a value to show, never an exception. */
export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
