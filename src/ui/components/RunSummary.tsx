import type { TicketInfo } from '../../machines/schedule.js';
import type { TicketSummary } from '../../protocol/wire.js';
import { usageText } from '../format.js';
import { regionOf, statusLabel, type ConductorView } from '../views.js';
import type { ActorView } from '../../protocol/wire.js';
import { UsageTable } from './UsageTable.js';
import { budgetReached, runBudgetText, ticketBudgetText, ticketSpend } from '../budget.js';

/** The run's end state, or null while it has not ended. */
export function runEnded(conductor: ActorView<ConductorView> | null): 'done' | 'stalled' | null {
  const state = conductor ? regionOf(conductor.value, 'run') : undefined;
  return state === 'done' || state === 'stalled' ? state : null;
}

/**
 * Said when the run has ended: done (every ticket completed or skipped) or stalled (nothing left
 * to run, some blocked), with the summary table the CLI prints (status, attempts, summary or
 * reason, tokens and cost per ticket, and the total), and a way to start another.
 */
export function RunSummary(props: { tickets: readonly TicketSummary[]; conductor: ActorView<ConductorView>; onNewRun: () => void; onNewRequest?: () => void; onHide: () => void }) {
  const ended = runEnded(props.conductor)!;
  const { context } = props.conductor;
  const usage = context.usage;
  const budgets = context.budgets;
  const runBudget = runBudgetText(usage, budgets);
  const infos = props.tickets.map((ticket, index) => ({ ticket, info: context.tickets[index] }));
  const count = (test: (info: TicketInfo) => boolean) => infos.filter(({ info }) => info !== undefined && test(info)).length;
  const completed = count((info) => info.status === 'completed' && !info.skipped);
  const skipped = count((info) => info.skipped);
  const blocked = count((info) => info.status === 'blocked');
  return (
    <section className={`card run-summary ended-${ended}`} aria-label="run summary" data-testid="run-summary" data-run={ended}>
      <header className="run-summary-head">
        <h2 role="status" data-testid="run-summary-title">
          {ended === 'done' ? 'The run is done' : 'The run stalled'}
          <span className="muted">
            {' '}
            · {completed} completed{skipped > 0 ? `, ${skipped} skipped` : ''}
            {blocked > 0 ? `, ${blocked} blocked` : ''} of {props.tickets.length}
          </span>
        </h2>
        <span className="actions">
          <button type="button" className="button primary" data-testid="run-summary-new-run" onClick={props.onNewRun}>
            Start another run
          </button>
          {props.onNewRequest && (
            <button type="button" className="button" data-testid="run-summary-new-request" onClick={props.onNewRequest}>
              New request
            </button>
          )}
          <button type="button" className="button link" data-testid="run-summary-hide" onClick={props.onHide}>
            Hide
          </button>
        </span>
      </header>
      {ended === 'stalled' && <p className="hint">Nothing is left that can run: retry or skip a blocked ticket to go on, or start another run.</p>}
      <table className="runs-table summary-table">
        <thead>
          <tr>
            <th>Ticket</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Summary or reason</th>
            <th>Tokens and cost</th>
          </tr>
        </thead>
        <tbody>
          {infos.map(({ ticket, info }) => {
            const status = info?.skipped ? 'skipped' : info ? statusLabel[info.status] : 'pending';
            const line = usage?.tickets[ticket.id];
            const budget = ticketBudgetText(usage, budgets, ticket.id);
            const limits = budgets?.tickets[ticket.id];
            const reached = limits ? budgetReached(ticketSpend(usage, ticket.id), limits) : null;
            return (
              <tr key={ticket.id} data-testid={`run-summary-row-${ticket.id}`} data-status={status}>
                <td>
                  <strong>{ticket.id}</strong> <code className="muted">{ticket.target_file}</code>
                </td>
                <td>
                  <span className={`status-chip status-${info?.skipped ? 'skipped' : (info?.status ?? 'pending')}`}>{status}</span>
                </td>
                <td>{info?.attempts ?? 0}</td>
                <td className="summary-text">{info?.status === 'blocked' ? (info.blocked_reason ?? 'blocked') : (info?.summary ?? '')}</td>
                <td className="summary-usage">
                  {line ? `tier ${line.tier} · ${usageText(line)}` : '—'}
                  {Object.entries(usage?.tickets ?? {})
                    .filter(([key]) => key.startsWith(`${ticket.id}@`))
                    .map(([key, helper]) => (
                      <div key={key} className="summary-helper muted" data-testid={`run-summary-helper-${key}`}>
                        {key.slice(ticket.id.length + 1) === 'review' ? 'review' : key.slice(ticket.id.length + 1)}: tier {helper.tier} · {usageText(helper)}
                      </div>
                    ))}
                  {budget && (
                    <div className={`summary-budget${reached ? ' reached' : ''}`} data-testid={`run-summary-budget-${ticket.id}`} data-reached={reached ?? ''}>
                      {budget}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
        {usage && (
          <tfoot>
            <tr data-testid="run-summary-total">
              <td colSpan={4}>Total</td>
              <td className="summary-usage">
                {usageText(usage.total)}
                {runBudget && (
                  <div className="summary-budget" data-testid="run-summary-run-budget">
                    {runBudget}
                  </div>
                )}
              </td>
            </tr>
          </tfoot>
        )}
      </table>
      {usage && <UsageTable usage={usage} budgets={budgets} testId="run-summary-usage" />}
    </section>
  );
}
