import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { Prec, type Extension, type Text } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';

/** Where JSON.parse stopped, as a document offset: V8 says "at position N" or "line L column C". */
export function jsonErrorOffset(message: string, doc: Pick<Text, 'length' | 'lines' | 'line'>): number {
  const position = /at position (\d+)/.exec(message);
  if (position) return Math.min(Number(position[1]), doc.length);
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) {
    const line = Math.min(Number(lineColumn[1]), doc.lines);
    return Math.min(doc.line(line).from + Number(lineColumn[2]) - 1, doc.length);
  }
  // "Unexpected end of JSON input" and the like: the text stops too soon.
  return doc.length;
}

/** JSON.parse's error marked in place: one character wide at least, so it shows as a squiggle. */
const jsonLinter = linter(
  (view): Diagnostic[] => {
    const text = view.state.doc.toString();
    try {
      JSON.parse(text);
      return [];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const length = view.state.doc.length;
      // At the very end there is no character to mark: mark the last one.
      const from = Math.max(0, Math.min(jsonErrorOffset(message, view.state.doc), length - 1));
      return [{ from, to: Math.min(from + 1, length), severity: 'error', message }];
    }
  },
  { delay: 250 },
);

/**
 * Escape leaves the editor for the pause card around it, so the single-key answers work again
 * (they never fire while an editor has the focus).
 */
const leaveOnEscape = Prec.highest(
  keymap.of([
    {
      key: 'Escape',
      run: (view) => {
        view.contentDOM.blur();
        const card = view.dom.closest<HTMLElement>('[data-pause-card]');
        card?.focus();
        return true;
      },
    },
  ]),
);

/** What every editor of the app has: undo, the standard keys, wrapping, Escape; line numbers unless told. */
export function baseExtensions(label: string, numbered = true): Extension[] {
  return [
    numbered ? lineNumbers() : [],
    history(),
    keymap.of([...defaultKeymap, ...historyKeymap]),
    leaveOnEscape,
    highlightActiveLine(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ 'aria-label': label }),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  ];
}

export function languageExtensions(language: 'json' | 'text'): Extension[] {
  return language === 'json' ? [json(), bracketMatching(), jsonLinter, lintGutter()] : [];
}
