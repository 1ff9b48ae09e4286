import type { ProposedTrack } from '../protocol/index.js';

/**
 * The human's edit of a proposed plan, before it is sent: the page's one piece of state about a
 * plan. The engine holds the plan; a draft is only what the human typed, kept until it is saved
 * (the engine then holds it), discarded, or refused (then it stays, with the engine's problems).
 */
export type PlanTicket = ProposedTrack['tickets'][number];

/** A plan in one shape: every dependency list present, no empty description. */
export function normalizePlan(plan: ProposedTrack): ProposedTrack {
  return {
    title: plan.title,
    ...(plan.description ? { description: plan.description } : {}),
    tickets: plan.tickets.map((ticket) => ({
      id: ticket.id,
      target_file: ticket.target_file,
      prompt: ticket.prompt,
      worker_archetype: ticket.worker_archetype,
      dependencies: [...(ticket.dependencies ?? [])],
    })),
  };
}

export function samePlan(a: ProposedTrack | null, b: ProposedTrack | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify(normalizePlan(a)) === JSON.stringify(normalizePlan(b));
}

/** One change the editor makes to the draft. */
export type PlanChange =
  | { kind: 'title'; value: string }
  | { kind: 'description'; value: string }
  | { kind: 'field'; index: number; field: 'target_file' | 'prompt' | 'worker_archetype'; value: string }
  | { kind: 'id'; index: number; value: string }
  | { kind: 'dependency'; index: number; id: string; on: boolean }
  | { kind: 'add'; archetype: string }
  | { kind: 'remove'; index: number };

/** A fresh ticket id: T<n> past every T-number in use. */
export function nextTicketId(tickets: readonly PlanTicket[]): string {
  const ids = new Set(tickets.map((ticket) => ticket.id));
  let n = tickets.length + 1;
  while (ids.has(`T${n}`)) n += 1;
  return `T${n}`;
}

/**
 * The draft after one change. Renaming a ticket renames it in the others' dependencies (when the
 * old id was its alone and the new one is free); removing one removes it from them too.
 */
export function applyPlanChange(plan: ProposedTrack, change: PlanChange): ProposedTrack {
  const draft = normalizePlan(plan);
  const tickets = draft.tickets;
  switch (change.kind) {
    case 'title':
      return { ...draft, title: change.value };
    case 'description': {
      const { description: _old, ...rest } = draft;
      return change.value === '' ? rest : { ...rest, description: change.value };
    }
    case 'field':
      return { ...draft, tickets: tickets.map((ticket, index) => (index === change.index ? { ...ticket, [change.field]: change.value } : ticket)) };
    case 'id': {
      const old = tickets[change.index]?.id;
      if (old === undefined) return draft;
      const carry = tickets.filter((ticket) => ticket.id === old).length === 1 && !tickets.some((ticket) => ticket.id === change.value) && change.value !== '';
      return {
        ...draft,
        tickets: tickets.map((ticket, index) => ({
          ...ticket,
          id: index === change.index ? change.value : ticket.id,
          dependencies: carry ? (ticket.dependencies ?? []).map((id) => (id === old ? change.value : id)) : ticket.dependencies,
        })),
      };
    }
    case 'dependency':
      return {
        ...draft,
        tickets: tickets.map((ticket, index) => {
          if (index !== change.index) return ticket;
          const others = (ticket.dependencies ?? []).filter((id) => id !== change.id);
          return { ...ticket, dependencies: change.on ? [...others, change.id] : others };
        }),
      };
    case 'add':
      return { ...draft, tickets: [...tickets, { id: nextTicketId(tickets), target_file: '', prompt: '', worker_archetype: change.archetype, dependencies: [] }] };
    case 'remove': {
      const gone = tickets[change.index]?.id;
      const left = tickets.filter((_ticket, index) => index !== change.index);
      const stillThere = left.some((ticket) => ticket.id === gone);
      return { ...draft, tickets: stillThere ? left : left.map((ticket) => ({ ...ticket, dependencies: (ticket.dependencies ?? []).filter((id) => id !== gone) })) };
    }
  }
}

/** A refusal of a plan edit, read back: its first line, and every problem the engine listed. */
export function planProblems(error: string): { headline: string; problems: string[] } {
  const lines = error.split('\n');
  const problems = lines.filter((line) => line.startsWith('- ')).map((line) => line.slice(2));
  const headline = lines.filter((line) => !line.startsWith('- ')).join(' ').trim();
  return { headline, problems };
}

/** The editor's state: the draft (null: no edit, the plan as the engine holds it) and the last refusal. */
export interface PlanEditState {
  draft: ProposedTrack | null;
  /** The plan the draft was begun from: when the engine's changes under it, the page says so. */
  base: ProposedTrack | null;
  refusal: string | null;
}

export const noEdit: PlanEditState = { draft: null, base: null, refusal: null };

/** What an edit does to the state: begun from the engine's plan, the refusal cleared. */
export function editPlan(state: PlanEditState, proposal: ProposedTrack, change: PlanChange): PlanEditState {
  const from = state.draft ?? proposal;
  const draft = applyPlanChange(from, change);
  return { draft, base: state.base ?? proposal, refusal: null };
}

/**
 * The state after the engine answered "Save changes": accepted, the engine holds the draft now and
 * the draft goes; refused, nothing changed there, so the draft stays as it was, with the problems.
 */
export function afterSave(state: PlanEditState, reply: { ok: true } | { ok: false; error: string }): PlanEditState {
  return reply.ok ? noEdit : { ...state, refusal: reply.error };
}

/** Whether the draft says anything the engine's plan does not. */
export function isDirty(state: PlanEditState, proposal: ProposedTrack | null): boolean {
  return state.draft !== null && !samePlan(state.draft, proposal);
}
