import { useEffect, useRef } from 'react';
import type { ModelMessage, ToolResultBlock } from '../../protocol/index.js';
import { TranscriptBlock } from './TranscriptBlock.js';

/**
 * The worker's conversation as the model sees it, newest at the bottom, followed by results
 * approved but not yet sent and by the reply the model is streaming right now.
 */
export function Transcript(props: { messages: readonly ModelMessage[]; results: readonly ToolResultBlock[]; draft: string; streaming: boolean }) {
  const end = useRef<HTMLDivElement>(null);
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

  return (
    <div className="transcript" data-testid="transcript">
      {props.messages.map((message, index) => (
        <article key={index} className={`message role-${message.role}`} data-testid={`message-${index}`} data-role={message.role}>
          <header className="message-role">{message.role === 'assistant' ? 'model' : index === 0 ? 'ticket' : 'clutch → model'}</header>
          {typeof message.content === 'string' ? (
            <p className="block-text">{message.content}</p>
          ) : (
            message.content.map((block, blockIndex) => <TranscriptBlock key={blockIndex} block={block} toolNames={toolNames} />)
          )}
        </article>
      ))}
      {props.results.length > 0 && (
        <article className="message role-pending" data-testid="approved-results">
          <header className="message-role">approved, sent with the next turn</header>
          {props.results.map((block) => (
            <TranscriptBlock key={block.tool_use_id} block={block} toolNames={toolNames} />
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
