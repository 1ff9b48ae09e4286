import { z } from 'zod';
import { commandSchema, targetSchema } from './commands.js';
import type { CallName, ClientMessage } from './wire.js';

/** Every call the server reads, checked before anything acts on it (see ClientCalls in wire.ts). */

const id = z.string().min(1).max(64);
const machine = z.enum(['conductor', 'ticket', 'worker', 'planner']);

function call<Name extends CallName, Shape extends z.core.$ZodLooseShape>(type: Name, shape: Shape) {
  return z.strictObject({ type: z.literal(type), id, ...shape });
}

export const clientMessageSchema = z.discriminatedUnion('type', [
  call('command', { target: targetSchema, command: commandSchema }),
  call('snapshotAt', { actor: z.string().min(1).max(300), seq: z.number().int().nonnegative() }),
  call('testPaths', { machine }),
  call('runTestPath', { machine, path: z.string().min(1).max(100) }),
  call('runs', {}),
  call('openRun', { run: z.string().min(1).max(200) }),
  call('tracks', {}),
  // The path is checked against the listed track files before anything is read or created.
  call('startRun', { track: z.string().min(1).max(1000), mode: z.enum(['async', 'linear']), trust: z.enum(['none', 'step', 'auto']) }),
  call('startRequest', { request: z.string().trim().min(1).max(20_000), mode: z.enum(['async', 'linear']), trust: z.enum(['none', 'step', 'auto']) }),
  call('edits', { ticket: z.string().min(1).max(200) }),
  call('diff', { ticket: z.string().min(1).max(200).optional() }),
]);

const callNames: ReadonlySet<string> = new Set(clientMessageSchema.options.map((option) => option.shape.type.value));

/** Tells a malformed call (refused under its id) from a message that is no call at all. */
export function isCallName(type: unknown): type is CallName {
  return typeof type === 'string' && callNames.has(type);
}

// The schema reads exactly the messages the contract declares: a drift either way fails to compile.
type Parsed = z.infer<typeof clientMessageSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<Check extends true> = Check;
export type SchemaMatchesContract = Assert<Same<Parsed, ClientMessage>>;
