import { useContext, useEffect, useMemo, useRef } from 'react';
import type { ModelMessage, ToolResultBlock } from '../../protocol/index.js';
import { workerKey } from '../../protocol/actor-keys.js';
import { editsOnTranscript } from '../edits.js';
import { useClient, useStore, useView } from '../hooks.js';
import { TranscriptTicket, useTicketEdits } from '../use-edits.js';
import type { WorkerView } from '../views.js';
import { TranscriptBlock, useEditedMark, type BlockEdits } from './TranscriptBlock.js';

/** A message's header, with the mark when the human rewrote it (memory mutation). */
function MessageHead({ label, edits }: { label: string; edits: BlockEdits | undefined }) {
  const { mark, compare } = useEditedMark(edits);
  return (
    <>
      <header className="message-role">
        {label} {mark}
      </header>
      {compare}
    </>
  );
}

/** The tokens each QA hint of this worker saved it, by tool_use id: from the journal, and its view's last hint. */
function useQaSavings(worker: string | null, hint: WorkerView['hint'] | undefined): ReadonlyMap<string, number> {
  const rows = useStore(useClient().journal.rows);
  return useMemo(() => {
    const saved = new Map<string, number>();
    for (const row of rows) if (row.kind === 'qa.hint' && row.ticket === worker && row.tool_use_id && row.saved_tokens !== undefined) saved.set(row.tool_use_id, row.saved_tokens);
    if (hint) saved.set(hint.tool_use_id, hint.saved_tokens);
    return saved;
  }, [rows, worker, hint]);
}

/**
 * The worker's conversation as the model sees it, newest at the bottom, followed by results
 * approved but not yet sent and by the reply the model is streaming right now. Every block a
 * human edited carries an "edited" mark that opens the original beside the edit (from the journal).
 */
export function Transcript(props: { messages: readonly ModelMessage[]; results: readonly ToolResultBlock[]; draft: string; streaming: boolean }) {
  const end = useRef<HTMLDivElement>(null);
  const ticket = useContext(TranscriptTicket);
  const worker = useView<WorkerView>(workerKey(ticket ?? ''));
  const { edits, source, error, refresh } = useTicketEdits(ticket, ticket ? worker?.context : undefined);
  const placed = useMemo(() => editsOnTranscript(props.messages, edits), [props.messages, edits]);
  const saved = useQaSavings(ticket, worker?.context.hint);
  const of = (list: BlockEdits['edits'] | undefined): BlockEdits | undefined => (list ? { edits: list, source, error, refresh } : undefined);
  const toolNames = new Map<string, string>();
  for (const message of props.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) if (block.type === 'tool_use') toolNames.set(block.id, block.name);
  }
  const size = props.messages.length + props.results.length + props.draft.length;
  useEffect(() => {
    const box = end.current?.parentElement;
    if (box) box.scrollTop = box.scrollHeight;
  }, [size]);
  const blockEdits = (block: Exclude<ModelMessage['content'], string>[number]) =>
    block.type === 'tool_use' ? of(placed.calls.get(block.id)) : block.type === 'tool_result' ? of(placed.results.get(block.tool_use_id)) : undefined;

  return (
    <div className="transcript" data-testid="transcript">
      {props.messages.map((message, index) => (
        <article
          key={index}
          className={`message role-${message.role}${placed.messages.has(index) ? ' edited' : ''}`}
          data-testid={`message-${index}`}
          data-role={message.role}
          data-edited={placed.messages.has(index) ? 'true' : undefined}
        >
          <MessageHead label={message.role === 'assistant' ? 'model' : index === 0 ? 'ticket' : 'clutch → model'} edits={of(placed.messages.get(index))} />
          {typeof message.content === 'string' ? (
            <p className="block-text">{message.content}</p>
          ) : (
            message.content.map((block, blockIndex) => <TranscriptBlock key={blockIndex} block={block} toolNames={toolNames} edits={blockEdits(block)} savedTokens={saved} />)
          )}
        </article>
      ))}
      {props.results.length > 0 && (
        <article className="message role-pending" data-testid="approved-results">
          <header className="message-role">approved, sent with the next turn</header>
          {props.results.map((block) => (
            <TranscriptBlock key={block.tool_use_id} block={block} toolNames={toolNames} edits={blockEdits(block)} savedTokens={saved} />
          ))}
        </article>
      )}
      {props.streaming && (
        <article className="message role-assistant streaming" data-testid="draft">
          <header className="message-role">model · writing…</header>
          <p className="block-text">
            {props.draft}
            <span className="cursor" aria-hidden="true">▍</span>
          </p>
        </article>
      )}
      <div ref={end} />
    </div>
  );
}
