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
    }
  | { type: 'error'; error: string };
