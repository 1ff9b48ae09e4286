/**
 * A failing command's result as the worker's model got it with a QA hint (tier 4): the status
 * line, `QA hint (ARCHETYPE): HINT`, then the head and tail of the raw output.
 */
export interface QaResult {
  status: string;
  archetype: string;
  hint: string;
  /** What follows the hint: the head and tail of the command's output. */
  rest: string;
}

const pattern = /^(exit code -?\d+[^\n]*)\nQA hint \(([^)\n]*)\): ([^\n]*)\n?([\s\S]*)$/;

/** The QA hint of a tool result, or null for a result without one. */
export function qaResultOf(content: string): QaResult | null {
  const match = pattern.exec(content);
  if (!match) return null;
  return { status: match[1]!, archetype: match[2]!, hint: match[3]!, rest: match[4]!.replace(/^\n/, '') };
}
