/** Token counts and a cost estimate: per ticket, per tier and in total. */
export interface UsageLine {
  input_tokens: number;
  output_tokens: number;
  /** US dollars from the profile's prices; null when a profile used has no prices set. */
  cost_usd: number | null;
}

export interface UsageSummary {
  /** Per ticket (all attempts) and per helper agent of a ticket or plan: `T2@review`, `T2@qa`, `@plan`. */
  tickets: Record<string, UsageLine & { tier: number }>;
  tiers: Record<string, UsageLine>;
  total: UsageLine;
  /** QA hints given, and the tokens the workers' transcripts did not have to carry for them (raw output minus what was sent). */
  qa: { hints: number; saved_tokens: number };
}

/** A budget's limits: tokens (input and output together) and US dollars. */
export interface BudgetLimits {
  max_tokens?: number;
  max_cost?: number;
}

/**
 * Why a model turn did not go: a budget is spent. `ticket`: the ticket's own (its worker over every
 * attempt, its reviews and its QA hints, against its archetype's max_tokens_per_ticket and
 * max_cost_per_ticket); `run`: the whole run's ([execution] max_cost_per_run), which stops every ticket.
 */
export interface BudgetStop {
  scope: 'ticket' | 'run';
  /** The ticket whose budget it is (scope ticket), or the ticket that asked (scope run). */
  ticket: string;
  spent: { tokens: number; cost_usd: number | null };
  limits: BudgetLimits;
  /** Which limit was reached. */
  reached: 'tokens' | 'cost';
  /** Said to the human: what was spent, of which limit. */
  reason: string;
}
