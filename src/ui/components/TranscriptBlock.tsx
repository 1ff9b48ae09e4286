import type { ModelMessage } from '../../protocol/index.js';

type Block = Exclude<ModelMessage['content'], string>[number];

function InputField({ name, value }: { name: string; value: unknown }) {
  if (typeof value === 'string' && value.includes('\n')) {
    return (
      <div className="input-field multiline">
        <span className="input-name">{name}</span>
        <pre>{value}</pre>
      </div>
    );
  }
  return (
    <div className="input-field">
      <span className="input-name">{name}</span> <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
    </div>
  );
}

/** One content block of a message: text, a tool call with its input, or a tool's result. */
export function TranscriptBlock({ block, toolNames }: { block: Block; toolNames: ReadonlyMap<string, string> }) {
  switch (block.type) {
    case 'text':
      return <p className="block-text">{block.text}</p>;
    case 'tool_use':
      return (
        <div className="block-tool-use" data-testid="block-tool-use">
          <div className="block-label">
            calls <code className="tool-name">{block.name}</code> <span className="muted">{block.id}</span>
          </div>
          {Object.entries(block.input).map(([name, value]) => (
            <InputField key={name} name={name} value={value} />
          ))}
        </div>
      );
    case 'tool_result': {
      const lines = block.content.split('\n');
      const long = lines.length > 12;
      return (
        <div className={`block-tool-result${block.is_error ? ' is-error' : ''}`} data-testid="block-tool-result">
          <details open={!long}>
            <summary className="block-label">
              result of <code className="tool-name">{toolNames.get(block.tool_use_id) ?? block.tool_use_id}</code>
              {block.is_error ? <span className="error-chip">error</span> : null}
              {long ? <span className="muted"> · {lines.length} lines</span> : null}
            </summary>
            <pre>{block.content}</pre>
          </details>
        </div>
      );
    }
  }
}
