import { clockText, durationText, type ActivityItem } from '../activity.js';
import { useActivity, useRunNow } from '../use-activity.js';

/** How many lines the feed shows: the newest. */
const SHOWN = 80;

function toolState(item: Extract<ActivityItem, { kind: 'tool' }>, now: number | null): string {
  switch (item.state) {
    case 'running':
      return now === null ? 'running' : `running for ${durationText(now - item.at)}`;
    case 'done':
      return item.duration_ms === null ? 'done' : `done in ${durationText(item.duration_ms)}`;
    case 'error':
      return item.duration_ms === null ? 'failed' : `failed after ${durationText(item.duration_ms)}`;
    case 'interrupted':
      return 'interrupted: this command may have run in part';
  }
}

function until(value: number | null): string {
  return value === null ? '' : ` (until ${new Date(value).toLocaleTimeString()})`;
}

function Line({ item, now }: { item: ActivityItem; now: number | null }) {
  const who = item.kind === 'human' ? 'you' : item.kind === 'auto' ? 'auto' : null;
  const ticket = 'ticket' in item ? item.ticket : null;
  return (
    <li
      className={`activity-item kind-${item.kind}${item.kind === 'tool' ? ` state-${item.state}` : ''}${item.kind === 'status' ? ` status-${item.status}` : ''}`}
      data-testid="activity-item"
      data-kind={item.kind}
      data-ticket={ticket ?? ''}
      {...(item.kind === 'tool' ? { 'data-state': item.state, 'data-call': item.tool_use_id } : {})}
    >
      <time className="activity-at" title="time since the run started (on the engine's clock)">
        {clockText(item.at)}
      </time>
      {ticket && <span className="activity-ticket">{ticket}</span>}
      {who && <span className={`activity-who ${who}`}>{who}</span>}
      <span className="activity-text">
        {item.kind === 'tool' ? (
          <>
            <code className="tool-name">{item.tool}</code>
            {item.detail && <span className="activity-detail"> {item.detail}</span>} · <span data-testid="activity-tool-state">{toolState(item, now)}</span>
          </>
        ) : item.kind === 'wait' ? (
          `model call held back: ${item.reason}${until(item.until)}`
        ) : (
          item.text
        )}
      </span>
    </li>
  );
}

/**
 * What every agent is doing, across all tickets, from the journal: the calls running now with
 * their running time, then the newest lines first (tools with their duration, rate-limit waits,
 * human answers, auto releases, status changes).
 */
export function ActivityFeed() {
  const { items, running } = useActivity();
  const now = useRunNow(running.size > 0);
  const shown = items.slice(-SHOWN).reverse();
  return (
    <section className="card activity" aria-label="activity" data-testid="activity-feed" data-items={items.length} data-running={running.size}>
      <h2>
        Activity <span className={`badge${running.size > 0 ? ' running' : ''}`}>{running.size} running</span>
      </h2>
      {running.size > 0 && (
        <ul className="activity-now" aria-label="running now">
          {[...running.values()].map((item) => (
            <li key={item.key} data-testid="activity-now" data-ticket={item.ticket} data-call={item.tool_use_id}>
              <span className="activity-ticket">{item.ticket}</span> <code className="tool-name">{item.tool}</code>
              {item.detail && <span className="activity-detail"> {item.detail}</span>} · {toolState(item, now)}
            </li>
          ))}
        </ul>
      )}
      {shown.length === 0 ? (
        <p className="muted empty">Nothing yet: tool calls, waits and answers show here as they happen.</p>
      ) : (
        <ol className="activity-list">
          {shown.map((item) => (
            <Line key={item.key} item={item} now={now} />
          ))}
        </ol>
      )}
    </section>
  );
}
