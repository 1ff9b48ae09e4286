import type { PathPart, TomlPath } from './locate.js';

/** Wording shared by all config messages, so that they name tables and values the way TOML does. */

/** A TOML table: smol-toml gives plain objects for tables, arrays for arrays, TomlDate (a Date) for dates. */
export const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

export function valueAt(data: unknown, path: TomlPath): unknown {
  let value = data;
  for (const part of path) {
    if (isTable(value)) value = Object.hasOwn(value, String(part)) ? value[String(part)] : undefined;
    else if (Array.isArray(value)) value = value[Number(part)];
    else return undefined;
  }
  return value;
}

/** A key as written in TOML: bare when possible, quoted otherwise. */
export const tomlKey = (key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

/**
 * `[agents.codegen]`, `the top level`, and for an element of an array of tables its id when it has
 * one (`ticket "T3"`: what the user calls it), else its position (`[[tickets]] #3`).
 */
export function tableName(path: TomlPath, data: unknown): string {
  if (path.length === 0) return 'the top level';
  const last = path[path.length - 1];
  if (typeof last === 'number') {
    const id = valueAt(data, [...path, 'id']);
    const owner = path[path.length - 2];
    if (typeof id === 'string' && typeof owner === 'string' && path.length === 2) {
      return `${owner.replace(/s$/, '')} ${JSON.stringify(id)}`;
    }
    return `[[${dotted(path.slice(0, -1))}]] #${last + 1}`;
  }
  return `[${dotted(path)}]`;
}

/** `agents.codegen`, `tickets[1].steps`: a path as one readable name. */
export function dotted(path: TomlPath): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : tomlKey(part))).join('.').replace(/\.\[/g, '[');
}

/**
 * Splits an issue path into the table that holds the offending key and the key's label inside it:
 * ["agents","codegen","tools",2] -> table ["agents","codegen"], label "tools[2]".
 */
export function splitPath(path: TomlPath, data: unknown): { table: PathPart[]; label: string } {
  let cut = 0;
  for (let n = path.length - 1; n > 0; n--) {
    if (isTable(valueAt(data, path.slice(0, n)))) {
      cut = n;
      break;
    }
  }
  const rest = path.slice(cut);
  const label = rest.map((part, n) => (typeof part === 'number' ? `[${part}]` : n === 0 ? tomlKey(part) : `.${tomlKey(part)}`)).join('');
  return { table: path.slice(0, cut), label };
}

/** `string "four"`, `integer 0`, `float 4.5`, `boolean true`, `array`, `table`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `string ${quote(value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `integer ${value}` : `float ${value}`;
  if (typeof value === 'bigint') return `integer ${value}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (value instanceof Date) return `date ${value.toISOString()}`;
  if (isTable(value)) return 'a table';
  return String(value);
}

/** JSON-quoted, shortened so a pasted essay does not drown the message. */
export function quote(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

/** Plain comma-separated, easy to scan and to copy back into the file. */
export const list = (items: readonly unknown[], quoted = false): string =>
  items.map((item) => (quoted ? JSON.stringify(item) : String(item))).join(', ');
