import type { BudgetLimits, BudgetStop, Command, PauseRef, UsageLine, UsageSummary } from '../protocol/index.js';

/**
 * Budgets as the page shows them: a ticket's spend (from the usage the conductor's view carries),
 * its limits beside it, and the raise a budget pause offers. Pure: the engine keeps the budgets and
 * checks every raise; this only reads and words them.
 */

/** Tokens (input and output together) and US dollars, as budgets count them; cost null when a profile has no prices. */
export interface Spend {
  tokens: number;
  cost_usd: number | null;
}

/** The run's budgets as the conductor's view carries them. */
export interface Budgets {
  run: { max_cost?: number };
  tickets: Record<string, BudgetLimits>;
}

function addLine(spend: Spend, line: UsageLine): Spend {
  return {
    tokens: spend.tokens + line.input_tokens + line.output_tokens,
    cost_usd: spend.cost_usd === null || line.cost_usd === null ? null : spend.cost_usd + line.cost_usd,
  };
}

/**
 * What a ticket spent against its budget: its worker's line (every attempt) and its helpers'
 * (`T2@review`, `T2@qa`), as the engine counts it. Another ticket whose id merely starts the same
 * (`T20`) is not counted.
 */
export function ticketSpend(usage: UsageSummary | undefined, ticket: string): Spend {
  let spend: Spend = { tokens: 0, cost_usd: 0 };
  for (const [key, line] of Object.entries(usage?.tickets ?? {})) {
    if (key === ticket || key.startsWith(`${ticket}@`)) spend = addLine(spend, line);
  }
  return spend;
}

/** What the whole run spent (every agent, the planner's too). */
export function runSpend(usage: UsageSummary | undefined): Spend {
  return usage ? addLine({ tokens: 0, cost_usd: 0 }, usage.total) : { tokens: 0, cost_usd: 0 };
}

/** 12345 → "12,345": exact, as the engine words budgets (and as a raise is typed). */
export function tokenCount(tokens: number): string {
  return tokens.toLocaleString('en-US');
}

/** A cost as usageText writes it: "$0.0412" under a dollar, "$12.50" above; "cost unknown" without prices. */
export function costText(cost: number | null): string {
  return cost === null ? 'cost unknown' : `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
}

/** Which limit the spend has reached (tokens first, as the engine checks), or null. A cost limit needs a known cost. */
export function budgetReached(spent: Spend, limits: BudgetLimits): 'tokens' | 'cost' | null {
  if (limits.max_tokens !== undefined && spent.tokens >= limits.max_tokens) return 'tokens';
  if (limits.max_cost !== undefined && spent.cost_usd !== null && spent.cost_usd >= limits.max_cost) return 'cost';
  return null;
}

/** "12,345 of 20,000 tokens", "$0.0400 of $0.1000", or both: the spend beside each limit set; null without one. */
export function budgetText(spent: Spend, limits: BudgetLimits | undefined): string | null {
  const parts: string[] = [];
  if (limits?.max_tokens !== undefined) parts.push(`${tokenCount(spent.tokens)} of ${tokenCount(limits.max_tokens)} tokens`);
  if (limits?.max_cost !== undefined) parts.push(`${costText(spent.cost_usd)} of ${costText(limits.max_cost)}`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** The ticket's budget line beside its usage ("budget 12,345 of 20,000 tokens"), or null when it has no limit. */
export function ticketBudgetText(usage: UsageSummary | undefined, budgets: Budgets | undefined, ticket: string): string | null {
  // Most tickets have no budget: their spend is not even summed.
  const limits = budgets?.tickets[ticket];
  if (!limits) return null;
  const text = budgetText(ticketSpend(usage, ticket), limits);
  return text === null ? null : `budget ${text}`;
}

/** The run's cost against max_cost_per_run ("run budget $0.0123 of $5.00"), or null when the run has none. */
export function runBudgetText(usage: UsageSummary | undefined, budgets: Budgets | undefined): string | null {
  const max = budgets?.run.max_cost;
  return max === undefined ? null : `run budget ${costText(runSpend(usage).cost_usd)} of ${costText(max)}`;
}

/** Whose budget stopped the worker: "T2's budget" or "the run's budget". */
export function scopeText(stop: BudgetStop): string {
  return stop.scope === 'run' ? "the run's budget" : `${stop.ticket}'s budget`;
}

/** The budget card's title: "T2's budget is spent", "The run's budget is spent". */
export function budgetTitle(stop: BudgetStop): string {
  const scope = scopeText(stop);
  return `${scope[0]!.toUpperCase()}${scope.slice(1)} is spent`;
}

/** The reached limit alone, for the board: "1,523 of 10 tokens", or "run: $5.0100 of $5.00". */
export function stopText(stop: BudgetStop): string {
  const text = stop.reached === 'tokens' ? budgetText(stop.spent, { max_tokens: stop.limits.max_tokens ?? 0 }) : budgetText(stop.spent, { max_cost: stop.limits.max_cost ?? 0 });
  return `${stop.scope === 'run' ? 'run: ' : ''}${text}`;
}

/** What was spent, the reached limit first: "1,523 tokens · $0.0000" or "$0.0512 · 12,345 tokens". */
export function spentText(stop: BudgetStop): string {
  const tokens = `${tokenCount(stop.spent.tokens)} tokens`;
  const cost = costText(stop.spent.cost_usd);
  return stop.reached === 'tokens' ? `${tokens} · ${cost}` : `${cost} · ${tokens}`;
}

/** The limits of the stop, the reached one marked: "10 tokens (reached)", "$0.1000 (reached) · 20,000 tokens". */
export function limitText(stop: BudgetStop): string {
  const tokens = stop.limits.max_tokens !== undefined ? `${tokenCount(stop.limits.max_tokens)} tokens${stop.reached === 'tokens' ? ' (reached)' : ''}` : null;
  const cost = stop.limits.max_cost !== undefined ? `${costText(stop.limits.max_cost)}${stop.reached === 'cost' ? ' (reached)' : ''}` : null;
  const parts = stop.reached === 'tokens' ? [tokens, cost] : [cost, tokens];
  return parts.filter((part): part is string => part !== null).join(' · ');
}

/**
 * What a raise offers first: twice the limit that was reached, or twice the spend if that is more
 * (the CLI's suggestion, src/cli/step-prompt.ts). Tokens are a whole number; dollars are rounded up
 * to the cent.
 */
export function suggestedRaise(stop: BudgetStop): number {
  if (stop.reached === 'tokens') return Math.max(2 * (stop.limits.max_tokens ?? 0), 2 * stop.spent.tokens, 1);
  const doubled = Math.max(2 * (stop.limits.max_cost ?? 0), 2 * (stop.spent.cost_usd ?? 0));
  return Math.ceil(Math.round(doubled * 1e6) / 1e4) / 100 || 1;
}

/** The number field a budget pause asks for: the limit that was reached, its unit, and its first value. */
export interface RaiseField {
  name: 'max_tokens' | 'max_cost';
  unit: string;
  step: string;
  /** The field's first text: the suggested raise, a whole number of tokens or dollars with cents. */
  initial: string;
}

export function raiseField(stop: BudgetStop): RaiseField {
  const suggested = suggestedRaise(stop);
  return stop.reached === 'tokens'
    ? { name: 'max_tokens', unit: 'tokens', step: '1', initial: String(suggested) }
    : { name: 'max_cost', unit: 'US dollars', step: '0.01', initial: suggested.toFixed(2) };
}

/** The largest values the command schema takes (src/protocol/commands.ts). */
const MAX_TOKENS = 1_000_000_000_000;
const MAX_COST = 1_000_000;

/**
 * The typed new limit, or why it is not one. Only the form is checked here (a whole number of
 * tokens, a positive amount of dollars): whether it lifts the pause is the engine's to say, and it
 * says so when it refuses.
 */
export function parseRaise(text: string, reached: BudgetStop['reached']): { ok: true; value: number } | { ok: false; error: string } {
  const typed = text.trim().replace(/^\$/, '').replace(/,/g, '').trim();
  if (typed === '') return { ok: false, error: reached === 'tokens' ? 'Type the new token limit' : 'Type the new limit in US dollars' };
  const value = Number(typed);
  if (reached === 'tokens') {
    if (!/^\d+$/.test(typed) || !Number.isSafeInteger(value) || value < 1) return { ok: false, error: 'The token limit is a whole number of tokens, such as 20000' };
    if (value > MAX_TOKENS) return { ok: false, error: `The token limit can be at most ${tokenCount(MAX_TOKENS)}` };
    return { ok: true, value };
  }
  if (!/^(\d+\.?\d*|\.\d+)$/.test(typed) || !Number.isFinite(value) || value <= 0) return { ok: false, error: 'The cost limit is an amount of US dollars above 0, such as 0.50' };
  if (value > MAX_COST) return { ok: false, error: `The cost limit can be at most $${tokenCount(MAX_COST)}` };
  return { ok: true, value };
}

/** The raise command for this pause: the new value of the limit that was reached (a run budget is a cost). */
export function raiseCommand(pause: PauseRef, stop: BudgetStop, value: number): Command {
  return stop.reached === 'tokens' ? { type: 'clutch.raise_budget', pause, max_tokens: value } : { type: 'clutch.raise_budget', pause, max_cost: value };
}

/** The hint under the field: what the new limit must pass, and what a run raise does. */
export function raiseHint(stop: BudgetStop): string {
  const spent = stop.reached === 'tokens' ? `${tokenCount(stop.spent.tokens)} tokens` : costText(stop.spent.cost_usd);
  const above = `The new limit must be above the ${spent} spent.`;
  return stop.scope === 'run' ? `${above} One raise lets every ticket waiting on the run's budget go on.` : above;
}
