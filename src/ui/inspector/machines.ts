import type { AnyStateMachine } from 'xstate';
// The one place the web app imports the machines themselves (DESIGN §2): to draw their
// definitions. Nothing here runs them; the actors live in the engine, behind the server.
import { conductorMachine } from '../../machines/conductor.js';
import { ticketMachine } from '../../machines/ticket.js';
import { workerMachine } from '../../machines/worker.js';
import { plannerMachine } from '../../machines/planner.js';
import type { ActorKind } from '../../protocol/wire.js';

export const machines: Record<ActorKind, AnyStateMachine> = {
  conductor: conductorMachine,
  ticket: ticketMachine,
  worker: workerMachine,
  planner: plannerMachine,
};
