import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { Engine } from '../actors/engine.js';
import { redact, secretsOf } from './redact.js';

export interface ForwardOptions {
  /** ws:// or wss:// URL of a Stately inspector server (e.g. `npx @statelyai/inspect` on ws://localhost:8080). */
  url: string;
  /** Whose secret values never leave (process.env by default), as for the web app. */
  env?: Record<string, string | undefined>;
  /** Events held while the socket is not open; the oldest go first (default 500). */
  maxQueued?: number;
  /** Milliseconds before the first reconnection; doubles up to 10 s (default 500). */
  retryMs?: number;
  log?: (line: string) => void;
}

export interface Forwarder {
  stop(): void;
}

/** What createInspector sends through (the package does not export the name). */
type Adapter = Parameters<typeof createInspector>[0];

interface AdapterOptions {
  url: string;
  maxQueued: number;
  retryMs: number;
  log: ((line: string) => void) | undefined;
}

/** JSON text of anything: cycles and functions are left out, toJSON is honoured. */
function jsonOf(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function' || typeof item === 'symbol') return undefined;
    if (typeof item === 'bigint') return item.toString();
    if (item && typeof item === 'object') {
      if (seen.has(item)) return undefined;
      seen.add(item);
    }
    return item;
  });
}

/**
 * Sends Stately inspection events over one WebSocket, reconnecting with a growing pause. Unlike the
 * adapter of createWebSocketInspector (0.7), stop() ends everything: that one re-arms a 5 s retry
 * after any socket error that stop() cannot cancel, which keeps the process alive.
 */
class SocketAdapter implements Adapter {
  readonly #options: AdapterOptions;
  #socket: WebSocket | undefined;
  #queue: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retry: number;
  #stopped = false;
  #warned = false;

  constructor(options: AdapterOptions) {
    this.#options = options;
    this.#retry = options.retryMs;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
    this.#socket = undefined;
  }

  send(event: StatelyInspectionEvent): void {
    const text = jsonOf(event);
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(text);
    else {
      this.#queue.push(text);
      if (this.#queue.length > this.#options.maxQueued) this.#queue.shift();
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = new WebSocket(this.#options.url);
    this.#socket = socket;
    socket.on('open', () => {
      this.#retry = this.#options.retryMs;
      this.#warned = false;
      this.#options.log?.(`inspection events go to ${this.#options.url}`);
      for (const text of this.#queue) socket.send(text);
      this.#queue = [];
    });
    socket.on('error', (error) => {
      if (!this.#warned) this.#options.log?.(`cannot reach the inspector at ${this.#options.url} (${error.message}); trying again`);
      this.#warned = true;
    });
    socket.on('close', () => {
      if (this.#socket !== socket || this.#stopped) return;
      this.#timer = setTimeout(() => this.#connect(), this.#retry);
      this.#timer.unref?.();
      this.#retry = Math.min(this.#retry * 2, 10_000);
    });
  }
}

/**
 * Forwards the engine's inspection events to a Stately inspector (`clutch serve --inspect-ws URL`),
 * in @statelyai/inspect's format. Secret values of the environment are redacted from every event.
 */
export function forwardInspection(engine: Pick<Engine, 'subscribeInspection' | 'conductor'>, options: ForwardOptions): Forwarder {
  const secrets = secretsOf(options.env ?? process.env);
  const adapter = new SocketAdapter({ url: options.url, maxQueued: options.maxQueued ?? 500, retryMs: options.retryMs ?? 500, log: options.log });
  const inspector = createInspector(adapter, {
    serialize: (event) => JSON.parse(redact(jsonOf(event), secrets)) as StatelyInspectionEvent,
  });
  // The conductor was created with the engine, before anyone could listen: introduce it first.
  inspector.actor(engine.conductor, engine.conductor.getSnapshot());
  const unsubscribe = engine.subscribeInspection((event) => inspector.inspect.next?.(event));
  inspector.start();
  return {
    stop() {
      unsubscribe();
      inspector.stop();
    },
  };
}

/** A usable --inspect-ws value, or the reason it is not. */
export function checkInspectorUrl(value: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: `--inspect-ws must be a ws:// or wss:// URL (got "${value}")` };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return { ok: false, error: `--inspect-ws must be a ws:// or wss:// URL (got "${value}")` };
  return { ok: true, url: url.toString() };
}
