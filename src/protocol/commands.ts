import { z } from 'zod';
import { proposedTrackSchema } from './tool-inputs.js';

/** The pauses of a worker: pause 1 (approval), pause 2 (review), a command a crash cut short, and a spent budget. */
export const pauseKindSchema = z.enum(['approval', 'review', 'interrupted', 'budget']);
export type PauseKind = z.infer<typeof pauseKindSchema>;

/**
 * What a pause command answers: the pause kind and the tool call it is about. The engine refuses a
 * command whose pause is not the one the worker waits at now (a stale or double click, another tab).
 */
export const pauseRefSchema = z.strictObject({ kind: pauseKindSchema, tool_use_id: z.string().min(1).max(200) });
export type PauseRef = z.infer<typeof pauseRefSchema>;

/** What a human may ask of an actor. The engine still refuses what the actor would not accept now. */
export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('clutch.approve'), pause: pauseRefSchema }),
  /** With approve, the edited call runs once its new preview is ready ("Apply edit and approve"). */
  z.strictObject({ type: z.literal('clutch.edit_payload'), pause: pauseRefSchema, input: z.unknown(), approve: z.boolean().optional() }),
  z.strictObject({ type: z.literal('clutch.edit_message'), pause: pauseRefSchema, message: z.unknown() }),
  /** With approve, the edited result goes to the model at once ("Apply edit and approve"). */
  z.strictObject({
    type: z.literal('clutch.edit_result'),
    pause: pauseRefSchema,
    output: z.string(),
    is_error: z.boolean().optional(),
    approve: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('clutch.abort'), pause: pauseRefSchema, reason: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('clutch.set_trust'), trust: z.enum(['step', 'auto']) }),
  z.strictObject({ type: z.literal('clutch.retry_now') }),
  z.strictObject({ type: z.literal('clutch.rerun'), pause: pauseRefSchema }),
  z.strictObject({ type: z.literal('clutch.use_output'), pause: pauseRefSchema }),
  /** At a budget pause: the new limits; the one that was reached must go above the spend. */
  z.strictObject({
    type: z.literal('clutch.raise_budget'),
    pause: pauseRefSchema,
    max_tokens: z.int().min(1).max(1_000_000_000_000).optional(),
    max_cost: z.number().positive().max(1_000_000).optional(),
  }),
  /**
   * files: what to do with the files the earlier attempts changed (restore them to before the
   * ticket, or keep them). Required when there are any: the engine refuses a retry without it.
   */
  z.strictObject({ type: z.literal('ticket.retry'), files: z.enum(['restore', 'keep']).optional() }),
  z.strictObject({ type: z.literal('ticket.skip') }),
  z.strictObject({ type: z.literal('conductor.start') }),
  /** The UserRequestEvent: plan this request (a run begun without tickets). */
  z.strictObject({ type: z.literal('conductor.request'), text: z.string().min(1).max(20_000) }),
  /** At plan approval: the human's edit (checked like a track file; a bad one changes nothing), approve, or send back. */
  z.strictObject({ type: z.literal('plan.edit'), track: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal('plan.approve') }),
  z.strictObject({ type: z.literal('plan.send_back'), comment: z.string().min(1).max(20_000) }),
  /** After the pm gave no plan: ask it again. */
  z.strictObject({ type: z.literal('plan.retry') }),
  z.strictObject({ type: z.literal('conductor.set_mode'), mode: z.enum(['async', 'linear']) }),
  z.strictObject({ type: z.literal('conductor.set_trust_override'), override: z.enum(['none', 'step', 'auto']) }),
]);
export type Command = z.infer<typeof commandSchema>;

/** The actor a command goes to: the conductor, or a ticket or the worker of its current attempt. */
export const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('conductor') }),
  z.strictObject({ kind: z.literal('ticket'), id: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('worker'), id: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('planner') }),
]);
export type CommandTarget = z.infer<typeof targetSchema>;

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

/** The command types that answer one pause, and so must name it. */
export const pauseCommandTypes = new Set<string>([
  'clutch.approve',
  'clutch.edit_payload',
  'clutch.edit_message',
  'clutch.edit_result',
  'clutch.abort',
  'clutch.rerun',
  'clutch.use_output',
  'clutch.raise_budget',
]);

/** What a command names as its pause, if it is a pause command. */
export function pauseOfCommand(command: { type: string; pause?: unknown }): PauseRef | undefined {
  return pauseCommandTypes.has(command.type) ? (command.pause as PauseRef | undefined) : undefined;
}
