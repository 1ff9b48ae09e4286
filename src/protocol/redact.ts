export const REDACTED = '[redacted]';

/**
 * Secret redaction. A secret that reached a tool's output, a model error or a view is replaced by
 * REDACTED, and so are its common encodings, since a command that meant to leak it would not
 * print it plainly:
 * - the text itself, with any character URL-encoded (`%2f` or `%2F`, `+` for a space) or
 *   JSON-escaped (`\"`, `\\`, `\/`, `\u002f`), in any mix;
 * - a spaced-out copy: its letters and digits in order, at most MAX_GAP other characters between
 *   two characters of it ("s k - a n t - …"), newlines given as JSON's `\n` too;
 * - hex of its UTF-8 bytes, lower or upper case, bytes optionally separated by a space, a colon
 *   or `\x`;
 * - base64 of its bytes, standard or URL-safe, at each of the three alignments it can have inside a
 *   longer base64 stream (only the characters that depend on the secret alone are matched), line
 *   breaks allowed anywhere (`base64` wraps at 76 columns).
 *
 * Text given to redact is often JSON (the socket hub redacts serialised messages): a match never
 * crosses a bare `"`, never ends inside an escape, and one that starts inside an escape keeps that
 * escape, so redacted JSON still parses.
 *
 * One regular expression per list of secrets is compiled and cached (by the list, and by its
 * content), because the hub redacts every message it sends.
 */

/** Shorter values are too likely to occur by chance ("1", "true") to be hunted in their encodings. */
export const MIN_SECRET_LENGTH = 8;
/** Most characters a spaced-out copy puts between two of the secret's characters. */
export const MAX_GAP = 3;

/** The text with every occurrence of each secret, plain or encoded, replaced by REDACTED. */
export function redact(text: string, secrets: readonly string[]): string {
  if (text.length === 0 || secrets.length === 0) return text;
  const matcher = matcherFor(secrets);
  if (matcher === undefined) return text;
  // A global regular expression's replace starts from 0 and hands back `text` itself when nothing matched.
  return text.replace(matcher, (match: string, offset: number) => escapeKeptAt(text, offset, match) + REDACTED);
}

const byList = new WeakMap<readonly string[], RegExp | null>();
const byContent = new Map<string, RegExp | null>();
/** Distinct secret lists remembered by content; a caller building fresh arrays stays bounded. */
const CONTENT_CACHE_SIZE = 64;

function matcherFor(secrets: readonly string[]): RegExp | undefined {
  const listed = byList.get(secrets);
  if (listed !== undefined) return listed ?? undefined;
  const key = secrets.join('\u0000');
  let compiled = byContent.get(key);
  if (compiled === undefined) {
    compiled = compile(secrets);
    if (byContent.size >= CONTENT_CACHE_SIZE) byContent.clear();
    byContent.set(key, compiled);
  }
  byList.set(secrets, compiled);
  return compiled ?? undefined;
}

function compile(secrets: readonly string[]): RegExp | null {
  const unique = [...new Set(secrets.filter((secret) => typeof secret === 'string' && secret.length > 0))];
  // secretsOf lists a secret's JSON-escaped form beside it; the text pattern covers that form.
  const escapedForms = new Set(unique.map((secret) => JSON.stringify(secret).slice(1, -1)).filter((form, i) => form !== unique[i]));
  const kept = unique.filter((secret) => !escapedForms.has(secret)).sort((a, b) => b.length - a.length);
  const alternatives = kept.flatMap((secret) => patternsOf(secret));
  if (alternatives.length === 0) return null;
  return new RegExp(alternatives.join('|'), 'g');
}

/** The alternatives that match one secret, most specific first. */
export function patternsOf(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) {
    // Too short to hunt in encodings; a caller that names it explicitly still gets the plain text.
    return secret.length > 0 ? [[...secret].map(literal).join('')] : [];
  }
  const bytes = utf8(secret);
  const patterns = [textPattern(secret), hexPattern(bytes), ...base64Patterns(bytes)];
  const spaced = spacedPattern(secret);
  if (spaced !== undefined) patterns.push(spaced);
  return patterns;
}

// ---- the forms -------------------------------------------------------------------------------

/** Each character as itself, URL-encoded or JSON-escaped. */
function textPattern(secret: string): string {
  const chars = [...secret];
  return chars.map((char, i) => textChar(char, i === chars.length - 1)).join('');
}

/**
 * The forms of one character, tried in this order so that an escape is taken whole: escaped twice
 * (JSON inside a JSON string), escaped once, \u-escaped, percent-encoded, as itself.
 */
function textChar(char: string, last: boolean): string {
  const forms: string[] = [];
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) forms.push(String.raw`\\\\` + short, String.raw`\\` + short);
  if (char === '"') forms.push(String.raw`\\\\\\"`, String.raw`\\"`);
  if (char === '\\') forms.push(String.raw`\\\\\\\\`, String.raw`\\\\`);
  if (char === '/') forms.push(String.raw`\\/`);
  if (!/^[A-Za-z0-9]$/.test(char)) {
    // JSON's \u escapes, one per UTF-16 code unit.
    const units = Array.from({ length: char.length }, (_, i) => char.charCodeAt(i));
    forms.push(units.map((unit) => String.raw`\\u` + anyCaseHex(hexUnit(unit))).join(''));
  }
  forms.push(utf8(char).map((byte) => `%${anyCaseHex(hexByte(byte))}`).join(''));
  if (char === ' ') forms.push(String.raw`\+`);
  // A lone backslash that ends a match must not leave the character it escaped (a quote or a
  // backslash) behind on its own.
  forms.push(char === '\\' && last ? String.raw`\\(?!["\\])` : literal(char));
  return `(?:${forms.join('|')})`;
}

const SHORT_ESCAPES: Record<string, string> = { '\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f' };

/**
 * The letters and digits in order, with at most MAX_GAP separators where the secret has them side
 * by side, and room for its own punctuation (spaced out too) where it has some: k characters
 * between two of them allow MAX_GAP * (k + 1) + k. A separator is any character but a letter, a
 * digit, `"` or `\`, or a JSON `\n`, `\r`, `\t`.
 */
function spacedPattern(secret: string): string | undefined {
  const chars = [...secret];
  if (chars.filter(isAlnum).length < MIN_SECRET_LENGTH) return undefined;
  const separator = String.raw`(?:[^A-Za-z0-9"\\]|\\[nrt])`;
  let out = '';
  let between = -1;
  for (const char of chars) {
    if (!isAlnum(char)) {
      if (between >= 0) between++;
      continue;
    }
    if (between >= 0) out += `${separator}{0,${MAX_GAP * (between + 1) + between}}`;
    out += char;
    between = 0;
  }
  return out;
}

function isAlnum(char: string): boolean {
  return /^[A-Za-z0-9]$/.test(char);
}

/** Hex of the bytes, any case, optionally one separator between bytes. */
function hexPattern(bytes: number[]): string {
  const separator = '(?:[ :]|\\\\{1,2}x)?';
  return bytes.map((byte) => anyCaseHex(hexByte(byte))).join(separator);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The base64 characters that depend on the secret alone, at each alignment, standard or URL-safe. */
function base64Patterns(bytes: number[]): string[] {
  const lineBreak = '(?:\\r?\\n|\\\\r\\\\n|\\\\n)?';
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = [...Array.from({ length: lead }, () => 0), ...bytes, 0, 0];
    const chars = base64Of(padded);
    const first = Math.ceil((8 * lead) / 6);
    const end = Math.floor((8 * (lead + bytes.length)) / 6);
    const part = chars.slice(first, end);
    if (part.length < MIN_SECRET_LENGTH) continue;
    out.push([...part].map(base64Char).join(lineBreak));
  }
  return out;
}

function base64Char(char: string): string {
  if (char === '+') return '(?:\\+|-|%2[bB])';
  if (char === '/') return '(?:\\\\/|/|_|%2[fF])';
  return char;
}

function base64Of(bytes: number[]): string {
  let out = '';
  for (let i = 0; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + BASE64[n & 63]!;
  }
  return out;
}

// ---- helpers ---------------------------------------------------------------------------------

/** A character as a regular-expression atom: letters and digits as they are, the rest escaped. */
function literal(char: string): string {
  if (/^[A-Za-z0-9]$/.test(char)) return char;
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${hexUnit(char.charCodeAt(i))}`;
  return out;
}

/** Hex digits matched in either case: "2f" becomes "2[fF]". */
function anyCaseHex(digits: string): string {
  return digits.replace(/[a-f]/g, (digit) => `[${digit}${digit.toUpperCase()}]`);
}

function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function hexUnit(unit: number): string {
  return unit.toString(16).padStart(4, '0');
}

const encoder = new TextEncoder();

function utf8(text: string): number[] {
  return [...encoder.encode(text)];
}

/**
 * When a match starts inside an escape begun before it (`\n` followed by a secret starting with
 * "n", or the hex digits of a `\u00xx`), the part of the escape inside the match is kept, so the
 * redacted text stays valid JSON.
 */
function escapeKeptAt(text: string, offset: number, match: string): string {
  // The match's first character is escaped by the backslash before it.
  if (oddBackslashesBefore(text, offset)) {
    return match.startsWith('u') ? match.slice(0, 5) : match.slice(0, 1);
  }
  // The match starts among the four hex digits of a \u escape.
  for (let back = 1; back <= 4; back++) {
    const u = offset - back;
    if (u < 1 || text[u] !== 'u' || !oddBackslashesBefore(text, u)) continue;
    if (/^[0-9A-Fa-f]*$/.test(text.slice(u + 1, offset))) return match.slice(0, 5 - back);
  }
  return '';
}

/** True when an odd run of backslashes ends right before `index` (so text[index] is escaped). */
function oddBackslashesBefore(text: string, index: number): boolean {
  let count = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

/** Names of environment variables whose values are secrets (API keys, tokens, passwords). */
const SECRET_NAME = /(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)/i;

/**
 * The secret values of an environment, longest first. Nothing the server sends is built from the
 * environment; this is the safety net for a secret that reaches a view some other way (a model
 * error message, a tool's output of `env`).
 */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  const values = Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.trim().length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value!.trim());
  // Messages are JSON: a secret with characters JSON escapes appears in its escaped form.
  const forms = values.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]);
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}
