import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import type { ActorKind, Reply, TestPathInfo, TestPathList, TestRunSummary, TestStepResult } from '../../src/protocol/wire.js';
import { describePath, runPlannedPath } from '../../src/testing/test-paths-thread.js';
import type { PlannedPath } from '../../src/testing/paths.js';
import { planFor, type MachinePlan } from '../../src/testing/plans.js';
import { connectSynced, pausedAtApproval, startTestServer, type ServerHarness, type TestClient } from '../support/server-harness.js';

/**
 * The inspector's "Test paths" over the real socket: paths generated off the event loop, runs on
 * fresh engines in temp folders, step results streamed in the batches, and the session's own
 * engine (the demo, paused at pause 1) left exactly as it was.
 */
let server: ServerHarness;
let client: TestClient;
let before: string;

/** What a test path run must not change: the session's views, journal and workspace files. */
function fingerprint(harness: ServerHarness): string {
  const workspace = harness.session.workspace;
  const files = readdirSync(workspace, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((file) => [file, readFileSync(file, 'utf8')]);
  const views = [...client.views.values()].map((view) => [view.key, view.value, view.status]).sort();
  return JSON.stringify({ files, views, journal: harness.engine.journal.tail(), conductor: harness.engine.conductor.getSnapshot().value });
}

function listPaths(machine: ActorKind): Promise<Reply<TestPathList>> {
  return client.call('testPaths', { machine }, 20_000);
}

async function paths(machine: ActorKind): Promise<TestPathInfo[]> {
  const reply = await listPaths(machine);
  if (!reply.ok) throw new Error(reply.error);
  return reply.value.paths;
}

function startRun(machine: ActorKind, path: string): string {
  return client.send('runTestPath', { machine, path });
}

/** A run's streamed progress and the reply that ended it. */
async function finished(id: string) {
  await client.until(() => client.reply(id) !== undefined, `run ${id} to finish`, 25_000);
  return { progress: client.progress(id), reply: client.reply(id) as Reply<TestRunSummary> };
}

const steps = (run: Awaited<ReturnType<typeof finished>>) => run.progress.flatMap((event) => (event.kind === 'step' ? [event.result] : []));

beforeAll(async () => {
  server = await startTestServer({ trust: 'step' });
  client = await connectSynced(server);
  await client.untilView('worker:T1', pausedAtApproval, 'worker T1 at pause 1');
  before = fingerprint(server);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.cleanup();
});

describe('test paths over the socket', () => {
  it('generates the conductor paths off the event loop: a command sent after the request is answered first', async () => {
    const id = client.send('testPaths', { machine: 'conductor' });
    // Refused (the run started already), so the session is unchanged; what matters is when the reply comes.
    const reply = await client.command({ kind: 'conductor' }, { type: 'conductor.start' });
    expect(reply).toMatchObject({ ok: false, error: 'conductor does not accept conductor.start now' });
    // Generation takes over a second; the batch with the command's reply did not wait for it.
    expect(client.reply(id)).toBeUndefined();
    await client.until(() => client.reply(id) !== undefined, 'the conductor paths', 20_000);
    expect(client.reply(id)).toMatchObject({ ok: true, value: { machine: 'conductor' } });
  }, 30_000);

  it('lists a non-empty, stable set of paths for each machine, each step chained to the one before', async () => {
    for (const machine of ['worker', 'ticket', 'conductor'] as const) {
      const first = await paths(machine);
      expect(first.length).toBeGreaterThan(10);
      expect(new Set(first.map((path) => path.id)).size).toBe(first.length);
      expect(await paths(machine)).toEqual(first);
      for (const path of first) {
        expect(path.id).toMatch(new RegExp(`^${machine}-\\d+$`));
        expect(path.steps[0]).toMatchObject({ index: 0, event: 'xstate.init', before: null });
        path.steps.slice(1).forEach((step, index) => expect(step.before).toEqual(path.steps[index]!.after));
        expect(path.ends).toEqual(path.steps.at(-1)!.after);
      }
    }
    // The ticket machine has paths whose worker end the test sends itself.
    expect((await paths('ticket')).some((path) => path.synthetic)).toBe(true);
    expect((await paths('worker')).some((path) => path.synthetic)).toBe(false);
  }, 30_000);

  it('lists exactly what the model-based suite plans', async () => {
    const { generated } = planFor('worker');
    const expected = generated.paths.map((path, index) => describePath('worker', path as PlannedPath<unknown, EventObject>, index));
    expect(await paths('worker')).toEqual(JSON.parse(JSON.stringify(expected)));
  }, 30_000);

  it('runs a worker path on a fresh engine: every step passes, in the state the path expects', async () => {
    const path = (await paths('worker')).find((candidate) => candidate.steps.some((step) => step.event === 'clutch.approve') && candidate.steps.length >= 6)!;
    const run = await finished(startRun('worker', path.id));
    expect(run.progress[0]).toMatchObject({ kind: 'started', machine: 'worker', path: path.id, steps: path.steps.length });
    const results = steps(run);
    expect(results.map((result) => [result.index, result.ok])).toEqual(path.steps.map((step) => [step.index, true]));
    expect(results.map((result) => result.value)).toEqual(path.steps.map((step) => step.after));
    expect(run.reply).toMatchObject({ ok: true, value: { ok: true, passed: path.steps.length, failed: 0, skipped: 0 } });
  }, 30_000);

  it('runs a conductor path on a fresh engine: every step passes', async () => {
    const path = (await paths('conductor')).find((candidate) => candidate.steps.some((step) => step.event === 'ticket.changed') && candidate.steps.length >= 5)!;
    const run = await finished(startRun('conductor', path.id));
    const results = steps(run);
    expect(results).toHaveLength(path.steps.length);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(results.map((result) => result.value)).toEqual(path.steps.map((step) => step.after));
    expect(run.reply).toMatchObject({ ok: true, value: { ok: true, passed: path.steps.length, failed: 0 } });
  }, 30_000);

  it('refuses a second run while one is in progress, and an unknown path, then runs again', async () => {
    const [path] = await paths('worker');
    const first = startRun('worker', path!.id);
    const second = startRun('worker', path!.id);
    const refused = await finished(second);
    expect(refused).toEqual({ progress: [], reply: { id: second, ok: false, error: `a test path run (${first}) is in progress; wait for it to finish` } });
    expect((await finished(first)).reply).toMatchObject({ ok: true, value: { ok: true } });

    const unknown = startRun('worker', 'worker-99999');
    expect(await finished(unknown)).toEqual({ progress: [], reply: { id: unknown, ok: false, error: 'there is no worker path worker-99999' } });
    // Refusals end nothing that was running: the next run is accepted.
    const third = startRun('ticket', (await paths('ticket'))[0]!.id);
    expect((await finished(third)).reply).toMatchObject({ ok: true, value: { ok: true } });
  }, 30_000);

  it('left the session engine and its workspace untouched, and removed every run folder', async () => {
    expect(fingerprint(server)).toBe(before);
    expect(server.engine.worker('T1')?.getSnapshot().value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    const scratch = server.server.hub.testPaths.scratch!;
    // tsx keeps its compile cache there too; the runs' own folders are all gone.
    expect(readdirSync(scratch).filter((name) => name.startsWith('clutch-'))).toEqual([]);
    expect(readdirSync(scratch).length).toBeLessThanOrEqual(1);
  });

  it('refuses a malformed request with a reason', async () => {
    client.sendRaw(JSON.stringify({ type: 'testPaths', id: 'bad1', machine: 'rocket' }));
    await client.until(() => client.reply('bad1') !== undefined, 'the refusal');
    expect(client.reply('bad1')).toMatchObject({ ok: false, error: expect.stringMatching(/machine/) });
  });
});

describe('a path run that goes wrong', () => {
  let plan: MachinePlan;
  let path: PlannedPath<unknown, EventObject>;
  beforeAll(() => {
    plan = planFor('worker');
    path = plan.generated.paths.find((candidate) => candidate.steps.length >= 6) as PlannedPath<unknown, EventObject>;
  });

  it('reports a wrong expected state as a failed assertion at that step, and skips the rest', async () => {
    const wrong = 3;
    const actual = path.steps[wrong]!.value;
    const value = actual === 'completed' ? 'failed' : 'completed';
    const tampered = { ...path, steps: path.steps.map((step, index) => (index === wrong ? { ...step, value } : step)) };
    const results: TestStepResult[] = [];
    const summary = await runPlannedPath(plan, tampered, (result) => results.push(result));
    expect(results.map((result) => [result.index, result.ok])).toEqual([...[0, 1, 2].map((index) => [index, true]), [wrong, false]]);
    const failure = results.at(-1)!;
    expect(failure.failure?.kind).toBe('assertion');
    expect(failure.failure?.message).toContain(`to reach "${value}"`);
    // The real actor was where the untampered path says.
    expect(failure.value).toEqual(actual);
    expect(summary).toMatchObject({ ok: false, passed: 3, failed: 1, skipped: path.steps.length - 4 });
  }, 20_000);

  it('reports a run that throws as a failed first step, not a crash', async () => {
    const broken: MachinePlan = {
      generated: plan.generated,
      drive: () => {
        throw new Error('no engine today');
      },
    };
    const results: TestStepResult[] = [];
    const summary = await runPlannedPath(broken, path, (result) => results.push(result));
    expect(results).toEqual([{ index: 0, ok: false, value: null, failure: { kind: 'error', message: 'no engine today' } }]);
    expect(summary).toMatchObject({ ok: false, passed: 0, failed: 1, skipped: path.steps.length - 1 });
  });
});
