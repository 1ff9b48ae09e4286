import { parse, TomlError } from 'smol-toml';
import type { ConfigIssue } from './issues.js';
import { scanToml, type Position, type SourceMap } from './locate.js';
import { dotted } from './describe.js';

export type ParsedToml =
  | { ok: true; data: Record<string, unknown>; map: SourceMap }
  | { ok: false; errors: ConfigIssue[] };

/**
 * Parses TOML and maps its positions. A syntax error becomes one issue at smol-toml's line and
 * column, with its message reworded where smol-toml's wording hides the real mistake (an unclosed
 * string is reported as a "control character" at the end of the line; a duplicate key as a
 * "redefinition" without naming the key).
 */
export function parseToml(text: string, file: string): ParsedToml {
  try {
    // 'throw': a key named __proto__ or constructor in a config file is a mistake, not a feature.
    const data = parse(text, { unsafeKeyBehaviour: 'throw' }) as Record<string, unknown>;
    return { ok: true, data, map: scanToml(text) };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const raw = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
    const at = { line: error.line, column: error.column };
    const explained = explain(text, raw, at);
    return { ok: false, errors: [{ file, ...explained.at, message: `invalid TOML: ${explained.message}` }] };
  }
}

function explain(text: string, raw: string, at: Position): { at: Position; message: string } {
  const lines = text.split(/\r?\n/);
  const lineText = lines[at.line - 1] ?? '';
  const endOfLine = at.column > lineText.length;
  if (raw === 'unfinished string' || (raw.startsWith('control characters') && endOfLine)) {
    const open = openQuote(lineText);
    if (open) {
      return {
        at: { line: at.line, column: open.column },
        message: `unclosed string: the ${open.quote} opened here has no closing ${open.quote} on this line`,
      };
    }
  }
  if (raw.startsWith('trying to redefine')) {
    // The text up to the end of the offending line is valid apart from the redefinition itself.
    const prefix = lines.slice(0, at.line).join('\n');
    const again = scanToml(prefix).redefinitions.find((r) => r.second.line === at.line);
    if (again) {
      const name = dotted(again.path);
      return {
        at: again.second,
        message: `duplicate key "${name}": already defined at line ${again.first.line}, column ${again.first.column}`,
      };
    }
    return { at, message: 'duplicate key or table: this name is already defined earlier in the file' };
  }
  if (raw.includes('unsafe property')) {
    return { at, message: 'keys named __proto__ or constructor are not allowed' };
  }
  return { at, message: raw };
}

/** The quote that is still open at the end of a line, if any. */
function openQuote(line: string): { quote: string; column: number } | undefined {
  let open: { quote: string; column: number } | undefined;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (open) {
      if (open.quote === '"' && c === '\\') k++;
      else if (c === open.quote) open = undefined;
    } else if (c === '#') {
      break;
    } else if (c === '"' || c === "'") {
      const triple = line.startsWith(c.repeat(3), k);
      open = { quote: triple ? c.repeat(3) : c, column: k + 1 };
      if (triple) {
        const close = line.indexOf(c.repeat(3), k + 3);
        if (close < 0) return open;
        k = close + 2;
        open = undefined;
      }
    }
  }
  return open;
}
