import { parseJson } from '../json-text.js';

/** A textarea for raw JSON that says, as you type, whether it parses. */
export function JsonEditor(props: { value: string; onChange: (text: string) => void; testId: string; label: string; rows?: number }) {
  const parsed = parseJson(props.value);
  return (
    <div className="json-editor">
      <label className="field-label">
        {props.label}
        <textarea
          className={parsed.ok ? '' : 'invalid'}
          data-testid={props.testId}
          spellCheck={false}
          rows={props.rows ?? 8}
          value={props.value}
          onChange={(event) => props.onChange(event.target.value)}
        />
      </label>
      {!parsed.ok && (
        <p className="inline-error" data-testid={`${props.testId}-error`} role="alert">
          Invalid JSON: {parsed.error}
        </p>
      )}
    </div>
  );
}
