/**
 * Source positions for TOML paths. smol-toml returns plain values without positions, and zod
 * reports issues by path (["agents", "codegen", "trust_level"], ["tickets", 2, "id"]), so this
 * small scanner walks the text once and records where every key, table header and value starts.
 *
 * It expects a document that smol-toml has accepted, but never throws on one it has not (it is
 * also run on the valid prefix of a broken file to explain a duplicate key): anything it does not
 * understand is skipped to the end of the line.
 */

export type PathPart = string | number;
export type TomlPath = readonly PathPart[];

export interface Position {
  line: number;
  column: number;
}

interface Entry {
  /** Where the key (or the last part of a header naming this table) is written. */
  key?: Position;
  /** Where the value starts: a string's quote, an array's "[", an inline table's "{". */
  value?: Position;
  /** The "[" of the header that opens this table ("[[" for an element of an array of tables). */
  header?: Position;
}

export interface SourceMap {
  entries: Map<string, Entry>;
  /** Keys and headers written a second time: path, first place, second place. */
  redefinitions: { path: PathPart[]; first: Position; second: Position }[];
}

const pathKey = (path: TomlPath): string => JSON.stringify(path);

export function scanToml(text: string): SourceMap {
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') lineStarts.push(k + 1);
  const positionOf = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };

  const map: SourceMap = { entries: new Map(), redefinitions: [] };
  // Keys that hold a value or were opened by a header: writing one again is a redefinition.
  const defined = new Map<string, Position>();
  const arrayTableCounts = new Map<string, number>();
  let i = 0;

  const entry = (path: TomlPath): Entry => {
    const k = pathKey(path);
    let e = map.entries.get(k);
    if (!e) map.entries.set(k, (e = {}));
    return e;
  };
  const note = (path: TomlPath, field: keyof Entry, offset: number): void => {
    const e = entry(path);
    e[field] ??= positionOf(offset);
  };
  const define = (path: PathPart[], offset: number): void => {
    const k = pathKey(path);
    const first = defined.get(k);
    if (first) map.redefinitions.push({ path, first, second: positionOf(offset) });
    else defined.set(k, positionOf(offset));
  };

  const skipSpaces = (): void => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  const skipLine = (): void => {
    while (i < text.length && text[i] !== '\n') i++;
  };
  // Whitespace, newlines and comments: what may separate items inside arrays and between lines.
  const skipBlank = (): void => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
      else if (c === '#') skipLine();
      else return;
    }
  };

  /** Reads a basic ("...") string starting at i, returns its decoded text. */
  const readBasic = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1); // TOML-only escapes (\e, \x..): close enough for lookup
    }
  };
  const readLiteral = (): string => {
    const end = text.indexOf("'", i + 1);
    const stop = end < 0 ? text.length : end;
    const value = text.slice(i + 1, stop);
    i = stop + 1;
    return value;
  };

  /** A dotted key: parts with the offset where each is written. */
  const readKey = (): { name: string; offset: number }[] => {
    const parts: { name: string; offset: number }[] = [];
    for (;;) {
      skipSpaces();
      const offset = i;
      const c = text[i];
      let name: string;
      if (c === '"') name = readBasic();
      else if (c === "'") name = readLiteral();
      else {
        while (i < text.length && /[A-Za-z0-9_-]/.test(text[i] ?? '')) i++;
        name = text.slice(offset, i);
        if (name === '') return parts;
      }
      parts.push({ name, offset });
      skipSpaces();
      if (text[i] !== '.') return parts;
      i++;
    }
  };

  const skipMultiline = (quote: string): void => {
    const fence = quote.repeat(3);
    i += 3;
    while (i < text.length && !text.startsWith(fence, i)) i += quote === '"' && text[i] === '\\' ? 2 : 1;
    i += 3;
    // A closing fence may carry up to two quotes of content before it ("""a""""").
    for (let extra = 0; extra < 2 && text[i] === quote; extra++) i++;
  };

  const readValue = (path: PathPart[]): void => {
    note(path, 'value', i);
    const c = text[i];
    if (c === '"' || c === "'") {
      if (text.startsWith(c.repeat(3), i)) skipMultiline(c);
      else if (c === '"') readBasic();
      else readLiteral();
    } else if (c === '[') {
      i++;
      for (let index = 0; ; index++) {
        skipBlank();
        if (i >= text.length || text[i] === ']') break;
        const before = i;
        note([...path, index], 'key', i);
        readValue([...path, index]);
        skipBlank();
        if (text[i] === ',') i++;
        else if (i === before) break;
      }
      i++;
    } else if (c === '{') {
      i++;
      for (;;) {
        skipBlank();
        if (i >= text.length || text[i] === '}') break;
        const before = i;
        readKeyValue(path);
        skipBlank();
        if (text[i] === ',') i++;
        else if (i === before) break;
      }
      i++;
    } else {
      // Numbers, booleans, dates (which may contain a space): up to a delimiter.
      while (i < text.length && !/[,\]}#\n]/.test(text[i] ?? '')) i++;
    }
  };

  /** `a.b.c = value` relative to table; records every prefix of the dotted key. */
  const readKeyValue = (table: PathPart[]): boolean => {
    const parts = readKey();
    if (parts.length === 0) return false;
    const path = [...table];
    for (const part of parts) {
      path.push(part.name);
      note(path, 'key', part.offset);
    }
    define(path, parts[parts.length - 1]?.offset ?? i);
    skipSpaces();
    if (text[i] !== '=') return false;
    i++;
    skipSpaces();
    readValue(path);
    return true;
  };

  /** `[a.b]` or `[[a.b]]`: the table path, with array-of-tables indexes filled in. */
  const readHeader = (): PathPart[] => {
    const start = i;
    const isArray = text[i + 1] === '[';
    i += isArray ? 2 : 1;
    const parts = readKey();
    skipLine();
    const path: PathPart[] = [];
    parts.forEach((part, n) => {
      path.push(part.name);
      note(path, 'key', part.offset);
      const count = arrayTableCounts.get(pathKey(path));
      const last = n === parts.length - 1;
      if (last && isArray) {
        if (count === undefined) define([...path], part.offset); // [[a]] after [a] or a = ...
        arrayTableCounts.set(pathKey(path), (count ?? 0) + 1);
        path.push(count ?? 0);
        note(path, 'key', start);
      } else if (count !== undefined) {
        path.push(count - 1); // [a.b] under [[a]] continues a's latest element
      }
    });
    note(path, 'header', start);
    if (!isArray) define(path, parts[parts.length - 1]?.offset ?? start);
    return path;
  };

  let table: PathPart[] = [];
  while (i < text.length) {
    skipBlank();
    if (i >= text.length) break;
    const before = i;
    if (text[i] === '[') table = readHeader();
    else if (!readKeyValue(table)) skipLine();
    if (i === before) skipLine();
  }
  return map;
}

/**
 * Where to point for an issue at `path`. 'key' points at the key (unknown key, duplicate id, ...);
 * 'value' at the value (an array element). A path that is not written anywhere (a missing key)
 * points at the nearest enclosing table's header, or at 1:1 for the top level.
 */
export function locate(map: SourceMap, path: TomlPath, prefer: 'key' | 'value' = 'key'): Position {
  const exact = map.entries.get(pathKey(path));
  if (exact) {
    const found = prefer === 'value' ? exact.value ?? exact.key : exact.key ?? exact.header;
    const any = found ?? exact.header ?? exact.value ?? exact.key;
    if (any) return any;
  }
  for (let n = path.length - 1; n > 0; n--) {
    const e = map.entries.get(pathKey(path.slice(0, n)));
    const at = e?.header ?? e?.value ?? e?.key;
    if (at) return at;
  }
  return { line: 1, column: 1 };
}

/** Where the table at `path` starts: its header, or its inline `{`, for "missing key" issues. */
export function locateTable(map: SourceMap, path: TomlPath): Position {
  for (let n = path.length; n > 0; n--) {
    const e = map.entries.get(pathKey(path.slice(0, n)));
    const at = e?.header ?? e?.value ?? e?.key;
    if (at) return at;
  }
  return { line: 1, column: 1 };
}
