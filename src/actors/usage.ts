import type { ClutchConfig, TokenUsage, UsageLine, UsageSummary } from '../protocol/index.js';

export type { UsageLine, UsageSummary };

const empty = (): UsageLine => ({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });

function add(line: UsageLine, usage: TokenUsage, cost: number | null): void {
  line.input_tokens += usage.input_tokens;
  line.output_tokens += usage.output_tokens;
  line.cost_usd = line.cost_usd === null || cost === null ? null : line.cost_usd + cost;
}

/** Cost of one turn: scripted is free; anthropic needs both prices (per million tokens). */
export function turnCost(config: ClutchConfig, profile: string, usage: TokenUsage): number | null {
  const model = config.models[profile];
  if (!model || model.provider === 'scripted') return 0;
  if (model.input_price_per_mtok === undefined || model.output_price_per_mtok === undefined) return null;
  return (usage.input_tokens * model.input_price_per_mtok + usage.output_tokens * model.output_price_per_mtok) / 1_000_000;
}

/** Token usage of a run per ticket (every attempt) and per archetype tier, with a cost estimate. */
export class UsageLedger {
  readonly #config: ClutchConfig;
  readonly #tierOf: (ticketId: string) => number;
  readonly #tickets = new Map<string, UsageLine & { tier: number }>();
  /** Spend by ticket (its helpers' keys, `T2@review`, under `T2`) and for the run, kept as turns are added. */
  readonly #spent = new Map<string, { tokens: number; cost_usd: number | null }>();
  readonly #run = { tokens: 0, cost_usd: 0 as number | null };
  readonly #qa = { hints: 0, saved_tokens: 0 };

  constructor(config: ClutchConfig, tierOf: (ticketId: string) => number) {
    this.#config = config;
    this.#tierOf = tierOf;
  }

  add(ticketId: string, profile: string, usage: TokenUsage): void {
    let line = this.#tickets.get(ticketId);
    if (!line) {
      line = { tier: this.#tierOf(ticketId), ...empty() };
      this.#tickets.set(ticketId, line);
    }
    const cost = turnCost(this.#config, profile, usage);
    add(line, usage, cost);
    const at = ticketId.indexOf('@');
    const base = at > 0 ? ticketId.slice(0, at) : ticketId;
    let spent = this.#spent.get(base);
    if (!spent) {
      spent = { tokens: 0, cost_usd: 0 };
      this.#spent.set(base, spent);
    }
    for (const total of [spent, this.#run]) {
      total.tokens += usage.input_tokens + usage.output_tokens;
      total.cost_usd = total.cost_usd === null || cost === null ? null : total.cost_usd + cost;
    }
  }

  /**
   * What a ticket spent (its worker over every attempt, its reviews `T2@review` and QA hints
   * `T2@qa`), or, without a ticket, the whole run. cost_usd is null when a profile has no prices.
   */
  spend(ticketId?: string): { tokens: number; cost_usd: number | null } {
    const spent = ticketId === undefined ? this.#run : this.#spent.get(ticketId);
    return spent ? { ...spent } : { tokens: 0, cost_usd: 0 };
  }

  /** A QA hint given, and the tokens it kept out of the worker's transcript. */
  addQaHint(savedTokens: number): void {
    this.#qa.hints += 1;
    this.#qa.saved_tokens += savedTokens;
  }

  /** Every given ticket, then every other key that used tokens (a reviewer, a QA hint, the planner). */
  summary(ticketIds: readonly string[]): UsageSummary {
    const tickets: UsageSummary['tickets'] = {};
    const tiers: UsageSummary['tiers'] = {};
    const total = empty();
    const others = [...this.#tickets.keys()].filter((key) => key.includes('@'));
    for (const id of [...ticketIds, ...others]) {
      const line = this.#tickets.get(id) ?? { tier: this.#tierOf(id), ...empty() };
      tickets[id] = { ...line };
      const tier = (tiers[String(line.tier)] ??= empty());
      add(tier, line, line.cost_usd);
      add(total, line, line.cost_usd);
    }
    return { tickets, tiers, total, qa: { ...this.#qa } };
  }
}

export function formatCost(cost: number | null): string {
  return cost === null ? '?' : `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
}
