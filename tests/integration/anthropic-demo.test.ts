import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionMode } from '../../src/protocol/index.js';
import { faultKinds, type FaultKind } from '../support/fake-anthropic.js';
import { readJournal, startAnthropicRun, TEST_KEY, type AnthropicRun } from '../support/anthropic-run.js';

let run: AnthropicRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const allCompleted = { T1: 'completed', T2: 'completed', T3: 'completed', T4: 'completed' };

function expectNoKey(current: AnthropicRun): void {
  const journal = readJournal(current);
  expect(journal.length).toBeGreaterThan(100);
  expect(journal).not.toContain(TEST_KEY);
  expect(JSON.stringify(current.engine.debugState())).not.toContain(TEST_KEY);
  const debugFile = join(current.runDir, 'debug_state.json');
  if (existsSync(debugFile)) expect(readFileSync(debugFile, 'utf8')).not.toContain(TEST_KEY);
}

const modes: ExecutionMode[] = ['async', 'linear'];

describe.each(modes)('the demo track against the fake Anthropic API (%s)', (mode) => {
  it('completes cleanly, with usage per ticket and tier in the journal', async () => {
    run = await startAnthropicRun({ mode });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: allCompleted });
    expect(run.fake!.count(200)).toBe(22); // the 18 scripted replies and the 4 reviews (one per ticket), each asked once
    expect(run.fake!.requests.every((request) => request.headers['authorization'] === `Bearer ${TEST_KEY}`)).toBe(true);
    const turns = run.journal.filter((entry) => entry.kind === 'model.turn');
    expect(turns).toHaveLength(22);
    const usage = run.journal.find((entry) => entry.kind === 'usage');
    if (usage?.kind !== 'usage') throw new Error('no usage entry');
    const sum = turns.reduce((total, entry) => total + (entry.kind === 'model.turn' ? entry.input_tokens : 0), 0);
    expect(usage.total.input_tokens).toBe(sum);
    // Tier 3 wrote the code; tier 2 (the tech lead's reviews) read it: together they are the total.
    expect(usage.tiers['3']!.output_tokens + usage.tiers['2']!.output_tokens).toBe(usage.total.output_tokens);
    expect(usage.tickets['T1@review']).toMatchObject({ tier: 2 });
    expect(usage.tickets.T1!.cost_usd).toBeCloseTo((usage.tickets.T1!.input_tokens * 3 + usage.tickets.T1!.output_tokens * 15) / 1e6, 10);
    expect(run.engine.finishedSnapshots().get('T4')?.worker).toMatchObject({ context: { usage: usage.tickets.T4 && { input_tokens: usage.tickets.T4.input_tokens } } });
    if (mode === 'linear') expect(existsSync(join(run.runDir, 'debug_state.json'))).toBe(true);
    expectNoKey(run);
  });

  it('completes with every fault kind injected, retrying each after its backoff', async () => {
    const schedule = new Map<number, FaultKind>(faultKinds.map((fault, n) => [1 + 2 * n, fault]));
    run = await startAnthropicRun({ mode, fake: { faultFor: (index) => schedule.get(index) } });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: allCompleted });
    expect(run.fake!.requests.map((request) => request.fault).filter(Boolean)).toEqual([...faultKinds]);
    const retries = run.journal.flatMap((entry) => (entry.kind === 'model.retry' ? [entry.reason] : []));
    expect(retries).toHaveLength(faultKinds.length);
    expect(retries.join('\n')).toMatch(/HTTP 429/);
    expect(retries.join('\n')).toMatch(/HTTP 529/);
    expect(retries.join('\n')).toMatch(/HTTP 500/);
    expect(retries.join('\n')).toMatch(/broke off/);
    expect(retries.join('\n')).toMatch(/malformed/);
    expect(retries.join('\n')).toMatch(/mid-stream/);
    // Work finished before a fault is kept: every ticket ran once, and the workspace tests pass.
    expect(run.engine.track().tickets.map((ticket) => ticket.attempts)).toEqual([1, 1, 1, 1]);
    expectNoKey(run);
  });

  it('stays under a server limit lower than configured, learning it from the headers', async () => {
    run = await startAnthropicRun({ mode, fake: { requestsPerWindow: 3 }, profile: { requests_per_minute: 1000 } });
    const outcome = await run.engine.finished();
    expect(outcome.tickets).toEqual(allCompleted);
    // The first request teaches the limiter the limit; at most the burst before that sees a 429.
    expect(run.fake!.count(429)).toBeLessThanOrEqual(1);
    expect(run.engine.limiters.get('sonnet')!.stats.granted).toBeGreaterThanOrEqual(22);
  });
});

describe('a stream that stops sending', () => {
  it('is dropped after idle_timeout_s and retried like a dropped connection: the run completes', async () => {
    run = await startAnthropicRun({ mode: 'async', fake: { faultFor: (index) => (index === 2 ? 'stall' : undefined) }, models: { idleTimeoutMs: 300 } });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: allCompleted });
    expect(run.fake!.requests.filter((request) => request.fault === 'stall')).toHaveLength(1);
    const retries = run.journal.flatMap((entry) => (entry.kind === 'model.retry' ? [entry.reason] : []));
    expect(retries).toEqual([expect.stringMatching(/^the model stream sent nothing for 0\.3 s \(idle_timeout_s of \[models\.sonnet\]\); it was dropped and will be retried$/)]);
    expect(run.engine.track().tickets.map((ticket) => ticket.attempts)).toEqual([1, 1, 1, 1]);
  });
});

describe('failures that a retry cannot fix', () => {
  it('a wrong key blocks the first ticket with a clear reason after one request: no retry storm', async () => {
    run = await startAnthropicRun({ mode: 'async', apiKey: 'sk-ant-wrong-key-000000' });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'stalled', tickets: { T1: 'blocked', T2: 'pending', T3: 'pending', T4: 'pending' } });
    expect(run.engine.track().tickets[0]!.blocked_reason).toMatch(/API key was rejected.*ANTHROPIC_API_KEY/);
    expect(run.fake!.requests).toHaveLength(1);
    expect(readJournal(run)).not.toContain('sk-ant-wrong-key-000000');
  });

  it('a server that keeps failing is given up on after the retry cap, and the reason says so', async () => {
    run = await startAnthropicRun({ mode: 'linear', fake: { faultFor: () => 'server_error' } });
    const outcome = await run.engine.finished();
    expect(outcome.tickets.T1).toBe('blocked');
    expect(run.engine.track().tickets[0]!.blocked_reason).toMatch(/gave up after 8 retries: the API had a server error \(HTTP 500/);
    expect(run.fake!.requests).toHaveLength(9);
    // Backoff doubled each time: the retry deadlines are 1, 2, 4, ... seconds apart.
    const at = run.journal.flatMap((entry) => (entry.kind === 'model.retry' ? [entry.retry_at] : []));
    expect(at.slice(1).map((value, n) => value - at[n]!)).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('a refusal blocks the ticket with a non-retryable reason', async () => {
    run = await startAnthropicRun({
      mode: 'linear',
      fake: { responder: () => ({ message: { role: 'assistant', content: [{ type: 'text', text: 'No.' }] }, stop_reason: 'refusal' }) },
    });
    const outcome = await run.engine.finished();
    expect(outcome.tickets.T1).toBe('blocked');
    expect(run.engine.track().tickets[0]!.blocked_reason).toMatch(/model refused/);
    expect(run.fake!.requests).toHaveLength(1);
  });

  it('a prompt that can never fit input_tokens_per_minute is refused before any request', async () => {
    run = await startAnthropicRun({ mode: 'linear', profile: { input_tokens_per_minute: 100 } });
    const outcome = await run.engine.finished();
    expect(outcome.tickets.T1).toBe('blocked');
    expect(run.engine.track().tickets[0]!.blocked_reason).toMatch(/can never be sent/);
    expect(run.fake!.requests).toHaveLength(0);
  });
});
