import { ticketPaths } from '../../src/testing/plans.js';
import { TicketDriver } from '../../src/testing/ticket-driver.js';
import { modelSuite } from '../support/model-suite.js';

modelSuite('ticket', ticketPaths(), (path) => new TicketDriver(path));
