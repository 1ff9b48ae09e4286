import { useState } from 'react';
import type { ModelMessage } from '../../protocol/index.js';
import type { EditLike } from '../edits.js';
import { qaResultOf } from '../qa.js';
import { EditCompare, EditedMark } from './EditedMark.js';
import { QaHint } from './QaHint.js';

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

/** The human's edits of a block, where they come from, and a way to read them again. */
export interface BlockEdits {
  edits: readonly EditLike[];
  source: 'journal' | 'view';
  error: string | null;
  refresh: () => void;
}

/** The mark and, once opened, the comparison: opening reads the journal again. */
export function useEditedMark(edits: BlockEdits | undefined) {
  const [open, setOpen] = useState(false);
  if (!edits || edits.edits.length === 0) return { mark: null, compare: null };
  const toggle = () => {
    if (!open) edits.refresh();
    setOpen(!open);
  };
  return {
    mark: <EditedMark edits={edits.edits} open={open} onToggle={toggle} />,
    compare: open ? <EditCompare edits={edits.edits} source={edits.source} error={edits.error} /> : null,
  };
}

/** One content block of a message: text, a tool call with its input, or a tool's result; marked when a human edited it. */
export function TranscriptBlock({
  block,
  toolNames,
  edits,
  savedTokens,
}: {
  block: Block;
  toolNames: ReadonlyMap<string, string>;
  edits?: BlockEdits | undefined;
  /** A result with a QA hint: the tokens the hint saved the worker, when known. */
  savedTokens?: ReadonlyMap<string, number> | undefined;
}) {
  const { mark, compare } = useEditedMark(edits);
  switch (block.type) {
    case 'text':
      return <p className="block-text">{block.text}</p>;
    case 'tool_use':
      return (
        <div className={`block-tool-use${mark ? ' edited' : ''}`} data-testid="block-tool-use" data-call={block.id}>
          <div className="block-label">
            calls <code className="tool-name">{block.name}</code> <span className="muted">{block.id}</span> {mark}
          </div>
          {compare}
          {Object.entries(block.input).map(([name, value]) => (
            <InputField key={name} name={name} value={value} />
          ))}
        </div>
      );
    case 'tool_result': {
      const lines = block.content.split('\n');
      const long = lines.length > 12;
      const qa = qaResultOf(block.content);
      return (
        <div
          className={`block-tool-result${block.is_error ? ' is-error' : ''}${mark ? ' edited' : ''}${qa ? ' with-qa' : ''}`}
          data-testid="block-tool-result"
          data-call={block.tool_use_id}
          data-qa={qa ? 'true' : undefined}
        >
          {qa && <QaHint qa={qa} savedTokens={savedTokens?.get(block.tool_use_id)} callId={block.tool_use_id} />}
          <details open={!long}>
            <summary className="block-label">
              result of <code className="tool-name">{toolNames.get(block.tool_use_id) ?? block.tool_use_id}</code>
              {block.is_error ? <span className="error-chip">error</span> : null}
              {long ? <span className="muted"> · {lines.length} lines</span> : null} {mark}
            </summary>
            {compare}
            <pre>{block.content}</pre>
          </details>
        </div>
      );
    }
  }
}
