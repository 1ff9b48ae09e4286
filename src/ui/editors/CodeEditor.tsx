import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { useEffect, useRef } from 'react';
import { baseExtensions, languageExtensions } from './cm-setup.js';

export interface CodeEditorProps {
  value: string;
  onChange: (text: string) => void;
  language: 'json' | 'text';
  /** The editor's accessible name. */
  label: string;
  testId: string;
  invalid?: boolean;
  /** More extensions (the diff editor's merge view); a new `resetKey` builds the editor anew with them. */
  extensions?: Extension[];
  resetKey?: string;
  className?: string;
  /** Line numbers (default); off for text that numbers its own lines, such as read_file's output. */
  numbered?: boolean;
}

/**
 * A CodeMirror 6 editor as a React component. The document is the editor's own while the human
 * types (every change goes to onChange); a `value` from outside that differs replaces it.
 */
export function CodeEditor(props: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  // The text an editor built anew starts from: the latest value.
  const latest = useRef(props.value);
  latest.current = props.value;
  const extensions = useRef(props.extensions);
  extensions.current = props.extensions;
  const { language, label, resetKey, numbered = true } = props;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: latest.current,
        extensions: [
          baseExtensions(label, numbered),
          languageExtensions(language),
          extensions.current ?? [],
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      view.current = null;
      editor.destroy();
    };
  }, [language, label, resetKey, numbered]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== props.value) editor.dispatch({ changes: { from: 0, to: current.length, insert: props.value } });
  }, [props.value]);

  return (
    <div className={`code-editor${props.invalid ? ' invalid' : ''}${props.className ? ` ${props.className}` : ''}`} data-testid={props.testId} data-edit-target="">
      <div ref={host} className="code-editor-host" />
    </div>
  );
}
