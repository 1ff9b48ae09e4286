import { CodeEditor } from '../editors/CodeEditor.js';
import { parseJson } from '../json-text.js';

/** A JSON editor (CodeMirror) that marks a parse error in place and says it below, as you type. */
export function JsonEditor(props: { value: string; onChange: (text: string) => void; testId: string; label: string }) {
  const parsed = parseJson(props.value);
  return (
    <div className="json-editor">
      <span className="field-label">{props.label}</span>
      <CodeEditor value={props.value} onChange={props.onChange} language="json" label={props.label} testId={props.testId} invalid={!parsed.ok} />
      {!parsed.ok && (
        <p className="inline-error" data-testid={`${props.testId}-error`} role="alert">
          Invalid JSON: {parsed.error}
        </p>
      )}
    </div>
  );
}
