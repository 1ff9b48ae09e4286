/**
 * The socket client of bench/ui.ts, in its own thread so that decoding batches does not slow the
 * server it measures. It behaves like an eager human: it approves every worker as soon as its view
 * accepts clutch.approve, and times the first approval of each worker (the write_file call) from
 * sending the command until the worker's view has left awaitingApproval (the tool started; a
 * coalesced batch may already show it at pause 2). With `serial`, it sends one approval at a time
 * (the next once the last one's reply is back), as one human clicking would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import type { ActorView, ClientMessage, ServerMessage } from '../src/protocol/wire.js';
import { pauseOf, pauseRef } from '../src/ui/pause.js';
import type { WorkerView } from '../src/ui/views.js';

export interface ClientInput {
  port: number;
  token: string;
  workers: number;
  approve: 'eager' | 'serial';
}

export interface ClientReport {
  messages: number;
  bytes: number;
  /** performance.now() of each message, relative to the first one. */
  arrivals: number[];
  /** Milliseconds from sending the first approve of a worker to its view leaving awaitingApproval. */
  approveToTool: number[];
  refused: string[];
  durationMs: number;
}

const { port, token, workers, approve: policy } = workerData as ClientInput;
const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}`, perMessageDeflate: false });
const report: ClientReport = { messages: 0, bytes: 0, arrivals: [], approveToTool: [], refused: [], durationMs: 0 };
const approving = new Set<string>();
const firstApproval = new Map<string, number>();
const measured = new Set<string>();
const finished = new Set<string>();
let nextId = 1;
let start = 0;

const awaitingApproval = (view: ActorView) =>
  typeof view.value === 'object' && view.value !== null && JSON.stringify(view.value).includes('"awaitingApproval"');

function approve(view: ActorView): void {
  // The pause this answers, as the web app names it (pause 1 or pause 2): the engine refuses any other.
  const pause = pauseOf(view as ActorView<WorkerView>);
  if (!pause) return;
  const message: ClientMessage = { type: 'command', id: `a${nextId++}:${view.key}`, target: { kind: 'worker', id: view.ticket! }, command: { type: 'clutch.approve', pause: pauseRef(pause) } };
  approving.add(view.key);
  if (!firstApproval.has(view.key)) firstApproval.set(view.key, performance.now());
  socket.send(JSON.stringify(message));
}

function see(view: ActorView, now: number): void {
  if (view.kind !== 'worker') return;
  const sent = firstApproval.get(view.key);
  if (sent !== undefined && !measured.has(view.key) && !awaitingApproval(view)) {
    measured.add(view.key);
    report.approveToTool.push(now - sent);
  }
  if (view.status === 'done') finished.add(view.key);
  if (view.accepts.includes('clutch.approve') && !approving.has(view.key)) waiting.set(view.key, view);
  else waiting.delete(view.key);
}

/** Views that accept approve and have not been answered yet, in the order they were seen. */
const waiting = new Map<string, ActorView>();

function answer(): void {
  for (const [key, view] of waiting) {
    if (policy === 'serial' && approving.size > 0) return;
    waiting.delete(key);
    approve(view);
  }
}

socket.on('message', (data: Buffer) => {
  const now = performance.now();
  if (report.messages === 0) start = now;
  report.messages += 1;
  report.bytes += data.length;
  report.arrivals.push(now - start);
  const message = JSON.parse(data.toString('utf8')) as ServerMessage;
  if (message.type !== 'batch') return;
  // The engine starts once this client holds the full state, so it sees the streaming from the start.
  if (message.seq === 1) parentPort!.postMessage({ type: 'ready' });
  for (const reply of message.replies) {
    const key = reply.id.slice(reply.id.indexOf(':') + 1);
    // Refused or not, the next view that accepts approve may be answered again.
    approving.delete(key);
    if (!reply.ok) report.refused.push(reply.error ?? 'refused');
  }
  for (const view of message.actors) see(view, now);
  answer();
  if (finished.size === workers) {
    report.durationMs = now - start;
    parentPort!.postMessage({ type: 'report', report });
    socket.close();
  }
});
socket.on('error', (error) => {
  throw error;
});
