import type { BudgetLimits, BudgetStop, ClutchConfig } from '../protocol/index.js';
import { formatCost, type UsageLedger } from './usage.js';

export type { BudgetLimits, BudgetStop };

const count = (tokens: number) => tokens.toLocaleString('en-US');

/** "12,345 tokens ($0.0412)" or "$0.5123 (120,345 tokens)": the spend, its reached limit first. */
function spentText(spent: BudgetStop['spent'], reached: BudgetStop['reached']): string {
  return reached === 'tokens' ? `${count(spent.tokens)} tokens (${formatCost(spent.cost_usd)})` : `${formatCost(spent.cost_usd)} (${count(spent.tokens)} tokens)`;
}

/**
 * The run's token budgets: each ticket's (its archetype's max_tokens_per_ticket and
 * max_cost_per_ticket) and the run's ([execution] max_cost_per_run), with the raises the human
 * gave at budget pauses. The spend is the usage ledger's, which a resumed run rebuilds from its
 * journal; the raises are journaled too (`budget.raised`) and restored the same way.
 */
export class Budgets {
  readonly #config: ClutchConfig;
  readonly #ledger: UsageLedger;
  readonly #archetypeOf: (ticketId: string) => string | undefined;
  readonly #raised = new Map<string, BudgetLimits>();
  #runCost: number | undefined;

  constructor(config: ClutchConfig, ledger: UsageLedger, archetypeOf: (ticketId: string) => string | undefined) {
    this.#config = config;
    this.#ledger = ledger;
    this.#archetypeOf = archetypeOf;
    this.#runCost = config.execution.max_cost_per_run;
  }

  /** A ticket's limits now: its archetype's, with the raises given. */
  limitsOf(ticketId: string): BudgetLimits {
    const agent = this.#config.agents[this.#archetypeOf(ticketId) ?? ''];
    return {
      ...(agent?.max_tokens_per_ticket !== undefined ? { max_tokens: agent.max_tokens_per_ticket } : {}),
      ...(agent?.max_cost_per_ticket !== undefined ? { max_cost: agent.max_cost_per_ticket } : {}),
      ...this.#raised.get(ticketId),
    };
  }

  /** The run's cost limit now, if it has one. */
  runLimit(): number | undefined {
    return this.#runCost;
  }

  /**
   * Whether the ticket (or the planner: an empty ticket id) may make another model turn: the run's
   * budget first, since it stops everyone, then the ticket's own. A cost limit cannot be reached
   * while a profile used has no prices (its cost is unknown); the token limit still holds.
   */
  check(ticketId: string): BudgetStop | undefined {
    const run = this.#runCost;
    if (run !== undefined) {
      const spent = this.#ledger.spend();
      if (spent.cost_usd !== null && spent.cost_usd >= run) {
        return { scope: 'run', ticket: ticketId, spent, limits: { max_cost: run }, reached: 'cost', reason: `the run spent ${spentText(spent, 'cost')} of its budget of ${formatCost(run)} (max_cost_per_run)` };
      }
    }
    if (!ticketId) return undefined;
    const limits = this.limitsOf(ticketId);
    if (limits.max_tokens === undefined && limits.max_cost === undefined) return undefined;
    const spent = this.#ledger.spend(ticketId);
    const archetype = this.#archetypeOf(ticketId) ?? '?';
    if (limits.max_tokens !== undefined && spent.tokens >= limits.max_tokens) {
      return { scope: 'ticket', ticket: ticketId, spent, limits, reached: 'tokens', reason: `${ticketId} spent ${spentText(spent, 'tokens')} of its budget of ${count(limits.max_tokens)} tokens (max_tokens_per_ticket of [agents.${archetype}])` };
    }
    if (limits.max_cost !== undefined && spent.cost_usd !== null && spent.cost_usd >= limits.max_cost) {
      return { scope: 'ticket', ticket: ticketId, spent, limits, reached: 'cost', reason: `${ticketId} spent ${spentText(spent, 'cost')} of its budget of ${formatCost(limits.max_cost)} (max_cost_per_ticket of [agents.${archetype}])` };
    }
    return undefined;
  }

  /** Applies a raise given at a budget pause: the ticket's limits, or the run's cost limit. */
  raise(scope: BudgetStop['scope'], ticketId: string, limits: BudgetLimits): void {
    if (scope === 'run') {
      if (limits.max_cost !== undefined) this.#runCost = limits.max_cost;
      return;
    }
    this.#raised.set(ticketId, { ...this.#raised.get(ticketId), ...limits });
  }
}

/**
 * Why a raise does not lift the budget pause it answers (null: it does). The limit that was reached
 * must go above what was spent; a run budget is a cost, so it takes max_cost.
 */
export function raiseProblem(stop: BudgetStop, limits: BudgetLimits): string | null {
  if (limits.max_tokens === undefined && limits.max_cost === undefined) return 'a raise names max_tokens or max_cost';
  if (stop.reached === 'tokens') {
    if (limits.max_tokens === undefined) return `the token budget was reached: raise max_tokens above the ${count(stop.spent.tokens)} spent`;
    if (limits.max_tokens <= stop.spent.tokens) return `max_tokens ${count(limits.max_tokens)} is not above the ${count(stop.spent.tokens)} tokens spent`;
    return null;
  }
  if (limits.max_cost === undefined) return `the cost budget was reached: raise max_cost above the ${formatCost(stop.spent.cost_usd)} spent`;
  if (stop.spent.cost_usd !== null && limits.max_cost <= stop.spent.cost_usd) return `max_cost ${formatCost(limits.max_cost)} is not above the ${formatCost(stop.spent.cost_usd)} spent`;
  if (stop.scope === 'run' && limits.max_tokens !== undefined) return 'the run budget is a cost: raise max_cost only';
  return null;
}
