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
