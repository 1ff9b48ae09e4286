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

/** Everything a client may send: a command, or a question for the inspector. */
export const inboundMessageSchema = z.discriminatedUnion('type', [...clientMessageSchema.options, snapshotAtSchema]);
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
    }
  | { type: 'error'; error: string };
