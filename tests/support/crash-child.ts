/**
 * One life of a run in the crash tests: starts a new run (or resumes one) of the crash fixture and
 * plays a scripted human who answers every pause through the same path the web app uses (JSON
 * commands into the Hub, which acknowledges a command only once it is committed). The parent kills
 * this process at seeded moments; every acknowledged command id is appended to the acks file the
 * moment its reply says ok, so the parent can check each was applied exactly once.
 *
 * usage: node --import tsx tests/support/crash-child.ts --cwd DIR --track T --config C
 *        [--mode async|linear] [--trust step|auto] [--resume RUN] --acks FILE
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Hub } from '../../src/server/hub.js';
import { createSession } from '../../src/server/session.js';
import type { ActorView, ServerMessage } from '../../src/protocol/wire.js';
import type { WorkerViewContext } from '../../src/machines/view-types.js';
import { currentCall } from '../../src/machines/transcript.js';
import { pauseOf, pauseRef } from '../../src/ui/pause.js';
import type { WorkerView } from '../../src/ui/views.js';

const { values } = parseArgs({
  options: {
    cwd: { type: 'string' },
    track: { type: 'string' },
    config: { type: 'string' },
    mode: { type: 'string' },
    trust: { type: 'string' },
    resume: { type: 'string' },
    acks: { type: 'string' },
  },
});

const cwd = values.cwd!;
const session = await createSession({
  cwd,
  config: values.config!,
  ...(values.resume ? { resume: values.resume } : { track: values.track! }),
  ...(values.mode ? { mode: values.mode as 'async' | 'linear' } : {}),
  ...(values.trust ? { trust: values.trust as 'step' | 'auto' } : {}),
});
const { engine } = session;
process.stdout.write(`run ${session.session.run_id}\n`);

/** Whether the marker command ran: its line is in marks/ID.txt, in the ticket's worktree (or the shared workspace). */
const marked = (ticket: string, marker: string) => {
  const folder = engine.options.workspaces?.pathFor(ticket) ?? session.session.workspace;
  try {
    return readFileSync(join(folder, 'marks', `${marker}.txt`), 'utf8').split('\n').includes(marker);
  } catch {
    return false;
  }
};

let next = 0;
const pending = new Map<string, string>();
const hub = new Hub(engine, session.session, { intervalMs: 1 });
const client = hub.connect({
  send(data) {
    const message = JSON.parse(data) as ServerMessage;
    if (message.type !== 'batch') return;
    for (const reply of message.replies) {
      const pause = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) appendFileSync(values.acks!, `${reply.id}\n`);
      // A refused answer (the pause moved on meanwhile) may be given again if the pause is still there.
      else if (pause !== undefined) asked.delete(pause);
    }
    // Answered after the batch is handled, as a socket would: never from inside the hub's send.
    setImmediate(() => {
      for (const view of message.actors) answer(view);
    });
  },
  bufferedAmount: () => 0,
});

const asked = new Set<string>();
function answer(view: ActorView): void {
  if (view.kind !== 'worker' || view.status !== 'active') return;
  const context = view.context as WorkerViewContext;
  const value = JSON.stringify(view.value);
  let command: { type: string } | undefined;
  if (view.accepts.includes('clutch.use_output')) {
    // A careful human looks: the marker line says whether the interrupted command got to run.
    const argv = currentCall(context.messages, context.results, context.review)?.input['argv'];
    const marker = Array.isArray(argv) ? String(argv[2]) : undefined;
    command = { type: marker !== undefined && marked(context.ticketId, marker) ? 'clutch.use_output' : 'clutch.rerun' };
  } else if (view.accepts.includes('clutch.approve')) {
    command = { type: 'clutch.approve' };
  }
  const at = pauseOf(view as ActorView<WorkerView>);
  if (!command || !at) return;
  // The answer names the pause it saw, as the web app's does.
  command = { ...command, pause: pauseRef(at) } as { type: string };
  // One answer per pause: the same pause seen again in a later batch is not answered twice.
  const pause = `${view.ticket}:${context.attempt}:${context.turns}:${context.results.length}:${context.review ? 1 : 0}:${value}`;
  if (asked.has(pause)) return;
  asked.add(pause);
  const id = `${process.pid}-${(next += 1)}`;
  pending.set(id, pause);
  const text = JSON.stringify({ type: 'command', id, target: { kind: 'worker', id: view.ticket }, command });
  client.receive(text, Buffer.byteLength(text));
}

engine.start();
const outcome = await engine.finished();
hub.close();
await session.close();
process.stdout.write(`${JSON.stringify({ type: 'end', outcome })}\n`);
process.exit(0);
