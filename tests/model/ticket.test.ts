import { ticketMachine } from '../../src/machines/ticket.js';
import { generate } from '../../src/testing/paths.js';
import { modelSuite } from '../support/model-suite.js';
import { abstractTicket, ticketEvents, ticketStateKey, type TicketModelContext, type TicketModelEvent, type TicketModelSnapshot } from '../../src/testing/ticket.js';
import { TicketDriver } from '../../src/testing/ticket-driver.js';

/** Without trust changes and synthesized ends: every simple path to completion. */
const lifecycle = (snapshot: TicketModelSnapshot) =>
  ticketEvents(snapshot).filter((event) => event.type !== 'ticket.trust_override' && !('synthetic' in event));

const generated = generate<TicketModelContext, TicketModelEvent>({
  machine: abstractTicket,
  real: ticketMachine,
  events: ticketEvents,
  serialize: ticketStateKey,
  limit: 50_000,
  simple: [{ events: lifecycle, toState: (snapshot) => snapshot.matches('completed'), stopWhen: (snapshot) => snapshot.context.attempts > 2 }],
  cap: 60,
  shortest: 'edge',
});

modelSuite('ticket', generated, (path) => new TicketDriver(path));
