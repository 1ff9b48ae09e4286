/**
 * The generation settings of each machine's paths, in one place: the model-based suites
 * (tests/model) and the server's "Test paths" (src/server/test-paths.ts) plan the same paths, and
 * each path runs through its machine's driver.
 */
import type { EventObject } from 'xstate';
import { conductorMachine } from '../machines/conductor.js';
import { ticketMachine } from '../machines/ticket.js';
import { workerMachine } from '../machines/worker.js';
import { plannerMachine } from '../machines/planner.js';
import {
  abstractConductor,
  abstractPlannedConductor,
  CONDUCTOR_TARGETED,
  conductorEvents,
  conductorStateKey,
  PLANNED_TARGETED,
  type ConductorModelContext,
  type ConductorModelEvent,
  type ConductorModelSnapshot,
} from './conductor.js';
import { abstractPlanner, abstractPlannerWithoutLead, MAX_PROPOSALS, PLANNER_TARGETED, plannerEvents, plannerStateKey, WITHOUT_LEAD_TARGETED, type PlannerModelContext, type PlannerModelEvent, type PlannerModelSnapshot } from './planner.js';
import { PlannerDriver } from './planner-driver.js';
import { ConductorDriver } from './conductor-driver.js';
import type { PathDriver } from './driver.js';
import { generate, type Generated, type PlannedPath } from './paths.js';
import type { MachineKind } from './recorder.js';
import { abstractTicket, MAX_ATTEMPTS, TICKET_TARGETED, ticketEvents, ticketStateKey, type TicketModelContext, type TicketModelEvent, type TicketModelSnapshot } from './ticket.js';
import { TicketDriver } from './ticket-driver.js';
import { abstractWorker, abstractWorkerOf, PREVIEW_DONE, QA_DONE, TOOL_DONE, WORKER_MAX_TURNS, workerEvents, workerStateKey, type WorkerModelContext, type WorkerModelEvent, type WorkerModelSnapshot } from './worker.js';
import { WorkerDriver } from './worker-driver.js';
import { QA_AUTO_TARGETED, REVIEWER_TARGETED, RUN_BUDGET_TARGETED, TICKET_BUDGET_TARGETED, WORKER_TARGETED } from './worker-targeted.js';

const isFinal = (snapshot: WorkerModelSnapshot) => snapshot.status === 'done';

/**
 * Step mode's happy and abort paths only, with both answers to the interrupted pause and the QA
 * hint of a failing command: few enough events for every simple path to a final state.
 */
function stepCore(snapshot: WorkerModelSnapshot): WorkerModelEvent[] {
  return workerEvents(snapshot).filter(
    (event) =>
      (event.type === 'model.reply' && event.calls.length === 1 && event.calls[0] !== 'fail') ||
      event.type === 'clutch.approve' ||
      event.type === PREVIEW_DONE ||
      event.type === TOOL_DONE ||
      event.type === QA_DONE ||
      event.type === 'clutch.rerun' ||
      event.type === 'clutch.use_output' ||
      (event.type === 'clutch.abort' && event.reason === undefined),
  );
}

export function workerPaths(): Generated<WorkerModelContext, WorkerModelEvent> {
  return generate<WorkerModelContext, WorkerModelEvent>({
    machine: abstractWorker,
    real: workerMachine,
    events: workerEvents,
    serialize: workerStateKey,
    limit: 120_000,
    simple: [{ events: stepCore, toState: isFinal }],
    targeted: WORKER_TARGETED,
    // Every budget pause follows a turn that spent the budget; the traversal behind a targeted path
    // would otherwise raise and stop again for ever (`model.over_budget` has no guard).
    bound: (snapshot) => snapshot.context.budgetPauses > WORKER_MAX_TURNS,
    variants: [
      { name: 'qa auto', machine: abstractWorkerOf({ qa: 'auto' }), targeted: QA_AUTO_TARGETED },
      { name: 'reviewer', machine: abstractWorkerOf({ role: 'reviewer', qa: null }), targeted: REVIEWER_TARGETED },
      { name: 'ticket budget', machine: abstractWorkerOf({ limit: 'ticket' }), targeted: TICKET_BUDGET_TARGETED },
      { name: 'run budget', machine: abstractWorkerOf({ limit: 'run' }), targeted: RUN_BUDGET_TARGETED },
    ],
    cap: 150,
    shortest: 'edge',
  });
}

/**
 * Without trust changes and synthesized ends, in an unreviewed run: every simple path to completion
 * (the reviewed runs multiply them past use; the shortest paths reach each of their edges).
 */
const lifecycle = (snapshot: TicketModelSnapshot) =>
  ticketEvents(snapshot).filter((event) => event.type !== 'ticket.trust_override' && !('synthetic' in event) && !(event.type === 'ticket.start' && event.reviewed));

export function ticketPaths(): Generated<TicketModelContext, TicketModelEvent> {
  return generate<TicketModelContext, TicketModelEvent>({
    machine: abstractTicket,
    real: ticketMachine,
    events: ticketEvents,
    serialize: ticketStateKey,
    limit: 50_000,
    simple: [{ events: lifecycle, toState: (snapshot) => snapshot.matches('completed'), stopWhen: (snapshot) => snapshot.context.attempts > 2 }],
    targeted: TICKET_TARGETED,
    bound: (snapshot) => snapshot.context.attempts > MAX_ATTEMPTS,
    cap: 60,
    shortest: 'edge',
  });
}

/** The two toggles alone, before the run starts: every simple path through mode × trust override. */
const toggles = (snapshot: ConductorModelSnapshot) =>
  conductorEvents(snapshot).filter((event) => event.type === 'conductor.set_mode' || event.type === 'conductor.set_trust_override');

export function conductorPaths(): Generated<ConductorModelContext, ConductorModelEvent> {
  return generate<ConductorModelContext, ConductorModelEvent>({
    machine: abstractConductor,
    real: conductorMachine,
    events: conductorEvents,
    serialize: conductorStateKey,
    limit: 200_000,
    simple: [{ events: toggles, toState: () => true }],
    targeted: CONDUCTOR_TARGETED,
    variants: [{ name: 'planned', machine: abstractPlannedConductor, targeted: PLANNED_TARGETED }],
    cap: 120,
    shortest: 'state',
  });
}

/** Approval's answers and the agents' ends, without overrides: every simple path to an approved plan. */
const approvals = (snapshot: PlannerModelSnapshot) => plannerEvents(snapshot).filter((event) => event.type !== 'planner.trust_override');

export function plannerPaths(): Generated<PlannerModelContext, PlannerModelEvent> {
  return generate<PlannerModelContext, PlannerModelEvent>({
    machine: abstractPlanner,
    real: plannerMachine,
    events: plannerEvents,
    serialize: plannerStateKey,
    limit: 50_000,
    simple: [{ events: approvals, toState: (snapshot) => snapshot.status === 'done', stopWhen: (snapshot) => snapshot.context.proposals > 2 }],
    targeted: PLANNER_TARGETED,
    bound: (snapshot) => snapshot.context.proposals > MAX_PROPOSALS,
    variants: [{ name: 'no tech lead', machine: abstractPlannerWithoutLead, targeted: WITHOUT_LEAD_TARGETED }],
    cap: 40,
    shortest: 'edge',
  });
}

/** Any machine's plan, with the driver that runs one of its paths on a fresh engine. */
export interface MachinePlan {
  generated: Generated<unknown, EventObject>;
  drive(path: PlannedPath<unknown, EventObject>): PathDriver<unknown, EventObject>;
}

export function planFor(machine: MachineKind): MachinePlan {
  // The drivers are typed per machine; a plan hands each only its own machine's paths.
  switch (machine) {
    case 'worker':
      return { generated: workerPaths() as never, drive: (path) => new WorkerDriver(path as never) as never };
    case 'ticket':
      return { generated: ticketPaths() as never, drive: (path) => new TicketDriver(path as never) as never };
    case 'conductor':
      return { generated: conductorPaths() as never, drive: (path) => new ConductorDriver(path as never) as never };
    case 'planner':
      return { generated: plannerPaths() as never, drive: (path) => new PlannerDriver(path as never) as never };
  }
}
