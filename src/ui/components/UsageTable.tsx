import type { UsageSummary } from '../../protocol/index.js';
import { compactCount, usageText } from '../format.js';
import { costText, runSpend, type Budgets } from '../budget.js';

/** What each tier is (agents.toml): the same names wherever tokens are counted. */
export const tierNames: Record<string, string> = { '1': 'product (pm)', '2': 'planning and review (tech lead)', '3': 'implementation', '4': 'QA' };

/** Tiers in order, each with its tokens (tiers 1, 2 and 4 too, once their agents have run). */
export function tierLines(usage: UsageSummary): { tier: string; text: string }[] {
  return Object.keys(usage.tiers)
    .sort((a, b) => Number(a) - Number(b))
    .map((tier) => ({ tier, text: usageText(usage.tiers[tier]!) }));
}

/** "1 QA hint, saved 191 tokens": what the QA tier saved the workers' transcripts. */
export function qaText(qa: UsageSummary['qa'] | undefined): string {
  const hints = qa?.hints ?? 0;
  return `${hints} QA hint${hints === 1 ? '' : 's'}, saved ${compactCount(qa?.saved_tokens ?? 0)} token${qa?.saved_tokens === 1 ? '' : 's'}`;
}

/** The usage tooltip's text: a line per tier, then the QA hints and what they saved. */
export function usageTitle(usage: UsageSummary): string {
  return [...tierLines(usage).map(({ tier, text }) => `tier ${tier} (${tierNames[tier] ?? 'agents'}): ${text}`), qaText(usage.qa)].join('\n');
}

/** Tokens and cost per tier, the QA hints and the tokens they saved, the total, and the run's budget when it has one. */
export function UsageTable({ usage, budgets, testId = 'usage-table' }: { usage: UsageSummary; budgets?: Budgets | undefined; testId?: string }) {
  const runMax = budgets?.run.max_cost;
  return (
    <table className="usage-table" data-testid={testId}>
      <tbody>
        {tierLines(usage).map(({ tier, text }) => (
          <tr key={tier} data-testid="usage-tier" data-tier={tier}>
            <th>
              tier {tier} <span className="muted">{tierNames[tier] ?? ''}</span>
            </th>
            <td>{text}</td>
          </tr>
        ))}
        <tr data-testid="usage-qa" data-hints={usage.qa?.hints ?? 0} data-saved={usage.qa?.saved_tokens ?? 0}>
          <th>QA hints</th>
          <td>{qaText(usage.qa)}</td>
        </tr>
        <tr className="usage-total-row">
          <th>total</th>
          <td>{usageText(usage.total)}</td>
        </tr>
        {runMax !== undefined && (
          <tr data-testid="usage-run-budget" data-max-cost={runMax}>
            <th>run budget</th>
            <td>
              {costText(runSpend(usage).cost_usd)} of {costText(runMax)} <span className="muted">(max_cost_per_run)</span>
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
