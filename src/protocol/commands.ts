import { z } from 'zod';

/** What a human may ask of an actor. The engine still refuses what the actor would not accept now. */
export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('clutch.approve') }),
  z.strictObject({ type: z.literal('clutch.edit_payload'), input: z.unknown() }),
  z.strictObject({ type: z.literal('clutch.edit_message'), message: z.unknown() }),
  z.strictObject({ type: z.literal('clutch.edit_result'), output: z.string(), is_error: z.boolean().optional() }),
  z.strictObject({ type: z.literal('clutch.abort'), reason: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('clutch.set_trust'), trust: z.enum(['step', 'auto']) }),
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

/** The actor a command goes to: the conductor, or a ticket or the worker of its current attempt. */
export const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('conductor') }),
  z.strictObject({ kind: z.literal('ticket'), id: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('worker'), id: z.string().min(1).max(200) }),
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
