/**
 * What JSON.parse lets through that no client message may carry: a key named `__proto__` (it is
 * an own property after JSON.parse, but any later spread or assignment of that object would set
 * a prototype instead of copying a field), a string with a lone UTF-16 surrogate (`"\ud800"` is
 * valid JSON, but it is no text: it would be journaled, written to files and sent to the model as
 * garbage), and nesting deep enough to overflow the recursive code (JSON.stringify, structured
 * clones, the tool schemas) that every command goes through later.
 */

/** Deeper than any message the app sends (a model message's tool input sits about 8 levels down). */
export const MAX_JSON_DEPTH = 64;

// In a `u` regex a surrogate pair is one code point; only a lone half is in category Cs.
const loneSurrogate = /\p{Cs}/u;

/** The reason a parsed message must be refused, naming where in it, or undefined when it is sound. */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  // Iterative: a message nested 100k deep must be refused, not overflow the stack while checking it.
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: item, path } = stack.pop()!;
    if (typeof item === 'string') {
      const at = lonePosition(item);
      if (at !== undefined) return `${where(path)}a lone surrogate (\\u${item.charCodeAt(at).toString(16)}) at character ${at} is not text: send well-formed UTF-16`;
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    if (path.length >= maxDepth) return `${where(path)}nested deeper than ${maxDepth} levels`;
    if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index -= 1) stack.push({ value: item[index], path: [...path, String(index)] });
      continue;
    }
    const keys = Object.keys(item);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index]!;
      if (key === '__proto__') return `${where(path)}a key named "__proto__" is not allowed (it would set the object's prototype)`;
      if (lonePosition(key) !== undefined) return `${where(path)}a key with a lone surrogate is not text: send well-formed UTF-16`;
      stack.push({ value: (item as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

/** Whether a string is well-formed UTF-16 (the id a reply would go under must be). */
export function isWellFormed(text: string): boolean {
  return lonePosition(text) === undefined;
}

function lonePosition(text: string): number | undefined {
  const match = loneSurrogate.exec(text);
  return match ? match.index : undefined;
}

/** `command.input: ` for a path in the message; long paths keep their start and their end. */
function where(path: string[]): string {
  if (path.length === 0) return '';
  const joined = path.join('.');
  const shown = joined.length > 160 ? `${joined.slice(0, 60)}…${joined.slice(-60)}` : joined;
  return `${shown}: `;
}
