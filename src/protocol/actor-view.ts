import type { ActorKind } from './actor-keys.js';

/** One actor as the UI sees it: its state value, a JSON projection of its context, what it accepts. */
export interface ActorView<Context = unknown> {
  /** 'conductor', 'ticket:ID' or 'worker:ID' (see actor-keys.ts). */
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
