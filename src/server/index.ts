export { createSession, demoTrackPath, sessionInfo, type Session, type SessionOptions } from './session.js';
export { startServer, type RunningServer, type ServerOptions } from './server.js';
export { Hub, type HubClient, type HubConnection, type HubOptions } from './hub.js';
export { Timeline, timelineOf, type InspectionSource, type TimelineOptions } from './timeline.js';
export { Ring } from './ring.js';
export {
  allKeys,
  conductorKey,
  conductorView,
  kindOfKey,
  projectContext,
  ticketKey,
  ticketView,
  viewOf,
  workerKey,
  workerView,
  type ConductorViewContext,
  type TicketViewContext,
  type WorkerViewContext,
} from './views.js';
export { systemClock, type Clock } from './clock.js';
export { MAX_MESSAGE_BYTES, parseClientMessage, type Inbound } from './inbound.js';
export { redact, REDACTED, secretsOf } from './redact.js';
export { checkAccess, isLoopbackHost, isSameOrigin, newToken, tokenChecker, TOKEN_COOKIE, TOKEN_HEADER } from './auth.js';
