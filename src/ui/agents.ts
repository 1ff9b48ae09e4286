import type { TicketSummary } from '../protocol/wire.js';

/**
 * The agents (workers) of a run besides each ticket's own: its reviewer (`T2@review`) and, while a
 * request is planned, the pm (`@plan`) and the tech lead (`@plan-review`). They are ordinary workers:
 * the same views, pauses and commands, keyed `worker:ID`.
 */
export const PLAN_PM = '@plan';
export const PLAN_LEAD = '@plan-review';
const REVIEW = '@review';

export const reviewerOf = (ticket: string): string => `${ticket}${REVIEW}`;

/** The ticket an agent works for: `T2` for `T2` and `T2@review`; null for the planner's agents. */
export function ticketOfAgent(agent: string): string | null {
  if (agent.startsWith('@')) return null;
  return agent.endsWith(REVIEW) ? agent.slice(0, -REVIEW.length) : agent;
}

export const isReviewer = (agent: string): boolean => !agent.startsWith('@') && agent.endsWith(REVIEW);
export const isPlannerAgent = (agent: string): boolean => agent === PLAN_PM || agent === PLAN_LEAD;

/** What the page calls an agent: "T2", "review of T2", "pm (plan)", "tech lead (plan)". */
export function agentLabel(agent: string): string {
  if (agent === PLAN_PM) return 'pm (plan)';
  if (agent === PLAN_LEAD) return 'tech lead (plan)';
  if (isReviewer(agent)) return `review of ${ticketOfAgent(agent)}`;
  return agent;
}

/**
 * Every agent that may wait at a pause, in the inbox's order: the planner's agents while it plans,
 * then each ticket's worker followed by its reviewer.
 */
export function agentsOf(tickets: readonly Pick<TicketSummary, 'id'>[], planning: boolean): string[] {
  return [...(planning ? [PLAN_PM, PLAN_LEAD] : []), ...tickets.flatMap((ticket) => [ticket.id, reviewerOf(ticket.id)])];
}
