/** Token counts and a cost estimate: per ticket, per tier and in total. */
export interface UsageLine {
  input_tokens: number;
  output_tokens: number;
  /** US dollars from the profile's prices; null when a profile used has no prices set. */
  cost_usd: number | null;
}

export interface UsageSummary {
  tickets: Record<string, UsageLine & { tier: number }>;
  tiers: Record<string, UsageLine>;
  total: UsageLine;
}
