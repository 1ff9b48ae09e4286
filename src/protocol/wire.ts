import { z } from 'zod';

/**
 * The whole socket contract between the web app and the server. The UI never owns state: it
 * renders ActorViews the server pushes and sends commands; the server answers each command in a
 * reply, and a command the engine would not accept is refused there, changing nothing.
 */

const trust = z.enum(['step', 'auto']);

export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('clutch.approve') }),
  z.strictObject({ type: z.literal('clutch.edit_payload'), input: z.unknown() }),
  z.strictObject({ type: z.literal('clutch.edit_message'), message: z.unknown() }),
  z.strictObject({ type: z.literal('clutch.edit_result'), output: z.string(), is_error: z.boolean().optional() }),
  z.strictObject({ type: z.literal('clutch.abort'), reason: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('clutch.set_trust'), trust }),
  z.strictObject({ type: z.literal('clutch.retry_now') }),
  z.strictObject({ type: z.literal('clutch.rerun') }),
  z.strictObject({ type: z.literal('clutch.use_output') }),
  z.strictObject({ type: z.literal('ticket.retry') }),
  z.strictObject({ type: z.literal('ticket.skip') }),
  z.strictObject({ type: z.literal('conductor.start') }),
  z.strictObject({ type: z.literal('conductor.set_mode'), mode: z.enum(['async', 'linear']) }),
  z.strictObject({ type: z.literal('conductor.set_trust_override'), override: z.enum(['none', 'step', 'auto']) }),
]);
export type Command = z.infer<typeof commandSchema>;

export const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('conductor') }),
  z.strictObject({ kind: z.literal('ticket'), id: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('worker'), id: z.string().min(1).max(200) }),
]);
export type CommandTarget = z.infer<typeof targetSchema>;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('command'), id: z.string().min(1).max(64), target: targetSchema, command: commandSchema }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Asks for the snapshot an actor was left in by one timeline entry (the inspector's time travel). */
export const snapshotAtSchema = z.strictObject({
  type: z.literal('snapshot_at'),
  id: z.string().min(1).max(64),
  actor: z.string().min(1).max(300),
  seq: z.number().int().nonnegative(),
});
export type SnapshotAtMessage = z.infer<typeof snapshotAtSchema>;

const machineSchema = z.enum(['conductor', 'ticket', 'worker']);

/** Asks for the generated test paths of a machine (the inspector's "Test paths"). */
export const testPathsSchema = z.strictObject({ type: z.literal('test_paths'), id: z.string().min(1).max(64), machine: machineSchema });
export type TestPathsMessage = z.infer<typeof testPathsSchema>;

/** Runs one generated path against a fresh engine in a temp workspace; results stream in `test_runs`. */
export const testPathRunSchema = z.strictObject({
  type: z.literal('test_path_run'),
  id: z.string().min(1).max(64),
  machine: machineSchema,
  path: z.string().min(1).max(100),
});
export type TestPathRunMessage = z.infer<typeof testPathRunSchema>;

/** Asks for the runs of the server's run store (the Runs tab); answered in a batch's `runs`. */
export const runsSchema = z.strictObject({ type: z.literal('runs'), id: z.string().min(1).max(64) });
export type RunsMessage = z.infer<typeof runsSchema>;

/**
 * Switches the server to a stored run (open a finished one, resume an interrupted one). Answered
 * in `replies`; on success every socket is then closed with RUN_SWITCH_CLOSE and reconnects into it.
 */
export const openRunSchema = z.strictObject({ type: z.literal('open_run'), id: z.string().min(1).max(64), run: z.string().min(1).max(200) });
export type OpenRunMessage = z.infer<typeof openRunSchema>;

/** The questions: anything a client sends that is not a command (the inspector's, and the runs'). */
export const questionSchema = z.discriminatedUnion('type', [snapshotAtSchema, testPathsSchema, testPathRunSchema, runsSchema, openRunSchema]);

/**
 * The close code of every socket when the server switches to another run: the client reconnects
 * at once and gets the new run's hello. (4000-4999 are the codes left to applications.)
 */
export const RUN_SWITCH_CLOSE = 4001;

/** Everything a client may send: a command, or a question (the inspector's, or the Runs tab's). */
export const inboundMessageSchema = z.discriminatedUnion('type', [...clientMessageSchema.options, ...questionSchema.options]);
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

/**
 * Accepted commands are listed as keys: the event type, or `type:value` for the events whose one
 * payload field is an enumeration (so the UI can draw exactly the toggles the engine accepts).
 */
export function commandKey(command: Command): string {
  switch (command.type) {
    case 'clutch.set_trust':
      return `${command.type}:${command.trust}`;
    case 'conductor.set_mode':
      return `${command.type}:${command.mode}`;
    case 'conductor.set_trust_override':
      return `${command.type}:${command.override}`;
    default:
      return command.type;
  }
}

export type ActorKind = 'conductor' | 'ticket' | 'worker';

/** One actor as the UI sees it: its state value, a JSON projection of its context, what it accepts. */
export interface ActorView<Context = unknown> {
  /** 'conductor', 'ticket:ID' or 'worker:ID' (the worker of ticket ID's current attempt). */
  key: string;
  kind: ActorKind;
  ticket?: string;
  /** XState snapshot status: active, done, stopped or error. */
  status: string;
  value: unknown;
  context: Context;
  /** Command keys (see commandKey) that snapshot.can() accepts right now. */
  accepts: string[];
}

export interface TicketSummary {
  id: string;
  target_file: string;
  prompt: string;
  worker_archetype: string;
  dependencies: string[];
}

export interface SessionInfo {
  run_id: string;
  track: { id: string; title: string; description: string; tickets: TicketSummary[] };
  /** e.g. "scripted model": the UI shows it in the global bar. */
  model_label: string;
  workspace: string;
  archetypes: Record<string, { tier: number; trust_level: string; model: string }>;
}

export interface CommandReply {
  id: string;
  ok: boolean;
  error?: string;
}

/**
 * One event an actor processed, from XState's inspection API, and the state it left the actor in.
 * The server keeps the last ones per actor; the context of that state comes on request (snapshot_at).
 */
export interface TimelineEntry {
  /** Grows by one per entry over the whole run: the order the events were processed in. */
  seq: number;
  /** Milliseconds since the run started, on the engine's clock. */
  at: number;
  /** Key of the actor that processed the event. */
  actor: string;
  /** Who sent it: an actor key, 'worker:T1 › callModel' for an I/O actor, null from outside (a command, the engine). */
  source: string | null;
  event: string;
  /** The same event that many times in a row, leaving the same state (streamed model deltas): one entry. */
  repeat?: number;
  /** The snapshot after the event. */
  status: string;
  value: unknown;
}

export interface PastSnapshot {
  actor: string;
  seq: number;
  status: string;
  value: unknown;
  /** The same projection of the context as the actor's view carries. */
  context: unknown;
}

export type SnapshotReply = { id: string; ok: true; snapshot: PastSnapshot } | { id: string; ok: false; error: string };

/** One step of a generated path: the abstract state before and after its event. */
export interface TestPathStep {
  index: number;
  /** The event type; `xstate.init` for step 0. */
  event: string;
  /** The event's payload, shortened ('' when it has none). */
  payload: string;
  /** null for step 0. */
  before: unknown;
  after: unknown;
}

export interface TestPathInfo {
  /** Stable for a given machine definition: `worker-12`. */
  id: string;
  /** The events in order, readable: `model.reply{"calls":["write"]} → clutch.approve`. */
  description: string;
  source: 'shortest' | 'simple' | 'targeted';
  /** Some event is sent by the test because the real actor never sends it there. */
  synthetic: boolean;
  /** The abstract state it ends in. */
  ends: unknown;
  steps: TestPathStep[];
}

/** One run of the store, as the Runs tab lists it. */
export interface RunListEntry {
  id: string;
  /** The track's id and title. */
  track: string;
  title: string;
  /** interrupted: left running by a process that is gone (or by a switch to another run); resume it. */
  status: 'running' | 'interrupted' | 'done' | 'stalled';
  completed: number;
  total: number;
  /** Epoch ms. */
  created: number;
  /** Last activity (the last commit), epoch ms. */
  updated: number;
}

/** The answer to `runs`: newest first, and which one this server has open. */
export type RunsReply = { id: string; ok: true; current: string; runs: RunListEntry[] } | { id: string; ok: false; error: string };

export type TestPathsReply =
  | { id: string; ok: true; machine: ActorKind; paths: TestPathInfo[]; candidates: number }
  | { id: string; ok: false; machine: ActorKind; error: string };

export interface TestStepResult {
  index: number;
  ok: boolean;
  /** The state value the real actor was in when the step was checked (null if it never started). */
  value: unknown;
  /** What failed: a safety invariant, the step's expected state or context, or the run itself. */
  failure?: { kind: 'invariant' | 'assertion' | 'error'; message: string };
}

/** What a run of a path reports, in order, under the id of the request that started it. */
export type TestRunEvent =
  | { id: string; kind: 'started'; machine: ActorKind; path: string; steps: number }
  | { id: string; kind: 'step'; result: TestStepResult }
  | { id: string; kind: 'finished'; ok: boolean; passed: number; failed: number; skipped: number; ms: number }
  | { id: string; kind: 'refused'; error: string };

export type ServerMessage =
  | { type: 'hello'; session: SessionInfo }
  | {
      type: 'batch';
      seq: number;
      actors: ActorView[];
      /** Keys whose actor is gone (a finished ticket's view stays; this is for replaced workers). */
      removed: string[];
      /** New journal entries since the last batch. */
      journal: unknown[];
      replies: CommandReply[];
      /**
       * Timeline entries new or changed since the last batch, by seq (a repeated event updates its
       * entry in place). The first batch after hello carries the whole tail the server keeps.
       */
      timeline?: TimelineEntry[];
      /** Answers to snapshot_at requests. */
      snapshots?: SnapshotReply[];
      /** Answers to test_paths requests. */
      test_paths?: TestPathsReply[];
      /** Progress of test_path_run requests, in order. */
      test_runs?: TestRunEvent[];
      /** Answers to runs requests. */
      runs?: RunsReply[];
    }
  | { type: 'error'; error: string };
