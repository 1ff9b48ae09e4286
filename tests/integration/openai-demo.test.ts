import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionMode } from '../../src/protocol/index.js';
import { retryableOpenAIFaults, type OpenAIFaultKind } from '../support/fake-openai.js';
import { OPENAI_TEST_KEY, PROFILE, startOpenAIRun, type OpenAIRun } from '../support/openai-run.js';

let run: OpenAIRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const allCompleted = { T1: 'completed', T2: 'completed', T3: 'completed', T4: 'completed' };

function expectNoKey(current: OpenAIRun): void {
  const journal = current.storedJournal();
  expect(journal.length).toBeGreaterThan(100);
  expect(journal).not.toContain(OPENAI_TEST_KEY);
  expect(JSON.stringify(current.engine.debugState())).not.toContain(OPENAI_TEST_KEY);
  const debugFile = join(current.runDir, 'debug_state.json');
  if (existsSync(debugFile)) expect(readFileSync(debugFile, 'utf8')).not.toContain(OPENAI_TEST_KEY);
}

const modes: ExecutionMode[] = ['async', 'linear'];

describe.each(modes)('the demo track against a fake OpenAI-compatible server (%s)', (mode) => {
  it('completes cleanly, every request answered once, with the usage the server reported', async () => {
    run = await startOpenAIRun({ mode });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: allCompleted });
    expect(run.fake.count(200)).toBe(22); // the 18 scripted replies and the 4 reviews (one per ticket), each asked once
    expect(run.fake.requests).toHaveLength(22);
    expect(run.fake.requests.every((request) => request.headers['authorization'] === `Bearer ${OPENAI_TEST_KEY}`)).toBe(true);
    expect(run.fake.requests.every((request) => request.chat?.model === 'qwen2.5-coder:7b' && request.chat.max_tokens === 4096)).toBe(true);
    // The replies with two calls went back as one assistant message each, with both tool results after it.
    const twoCalls = run.fake.requests.flatMap((request) => request.chat!.messages).filter((message) => message.role === 'assistant' && (message.tool_calls?.length ?? 0) === 2);
    expect(twoCalls.length).toBeGreaterThan(0);
    const turns = run.journal.filter((entry) => entry.kind === 'model.turn');
    expect(turns).toHaveLength(22);
    expect(turns.every((entry) => entry.kind === 'model.turn' && entry.profile === PROFILE && entry.input_tokens > 0 && entry.output_tokens > 0)).toBe(true);
    const usage = run.journal.find((entry) => entry.kind === 'usage');
    if (usage?.kind !== 'usage') throw new Error('no usage entry');
    const sum = turns.reduce((total, entry) => total + (entry.kind === 'model.turn' ? entry.input_tokens : 0), 0);
    expect(usage.total.input_tokens).toBe(sum);
    expect(run.engine.limiters.get(PROFILE)!.stats.granted).toBe(22);
    if (mode === 'linear') expect(existsSync(join(run.runDir, 'debug_state.json'))).toBe(true);
    expectNoKey(run);
  });

  it('completes with every fault kind injected (a stall dropped by the idle timeout), retrying each', async () => {
    const schedule = new Map<number, OpenAIFaultKind>(retryableOpenAIFaults.map((fault, n) => [1 + 2 * n, fault]));
    run = await startOpenAIRun({ mode, fake: { faultFor: (index) => schedule.get(index) }, models: { idleTimeoutMs: 300 } });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: allCompleted });
    expect(run.fake.requests.map((request) => request.fault).filter(Boolean)).toEqual([...retryableOpenAIFaults]);
    const retries = run.journal.flatMap((entry) => (entry.kind === 'model.retry' ? [entry.reason] : []));
    expect(retries).toHaveLength(retryableOpenAIFaults.length);
    const reasons = retries.join('\n');
    expect(reasons).toMatch(/rate limited by the server \(HTTP 429/);
    expect(reasons).toMatch(/server had an error \(HTTP 500/);
    expect(reasons).toMatch(/stream broke off/);
    expect(reasons).toMatch(/stream was malformed/);
    expect(reasons).toMatch(new RegExp(`sent nothing for 0\\.3 s \\(idle_timeout_s of \\[models\\.${PROFILE}\\]\\)`));
    // 22 answers, each fault one more request; work finished before a fault is kept.
    expect(run.fake.requests).toHaveLength(22 + retryableOpenAIFaults.length);
    expect(run.engine.track().tickets.map((ticket) => ticket.attempts)).toEqual([1, 1, 1, 1]);
    expectNoKey(run);
  });

  it('a reply cut by max_tokens inside a tool call blocks its ticket with the reason, without retrying', async () => {
    run = await startOpenAIRun({ mode, fake: { faultFor: (index) => (index === 0 ? 'length' : undefined) } });
    const outcome = await run.engine.finished();
    expect(outcome).toEqual({ state: 'stalled', tickets: { T1: 'blocked', T2: 'pending', T3: 'pending', T4: 'pending' } });
    expect(run.engine.track().tickets[0]!.blocked_reason).toMatch(
      new RegExp(`the reply hit max_tokens \\(4096\\) in the middle of a read_file call, so its input is incomplete; raise max_tokens in \\[models\\.${PROFILE}\\] or ask for smaller steps`),
    );
    expect(run.fake.requests).toHaveLength(1);
  });
});

describe('the rate limits an OpenAI-compatible server reports', () => {
  it('stays under a server limit lower than configured, learning it from the x-ratelimit headers', async () => {
    run = await startOpenAIRun({ mode: 'async', fake: { requestsPerWindow: 3 }, profile: { requests_per_minute: 1000 } });
    const outcome = await run.engine.finished();
    expect(outcome.tickets).toEqual(allCompleted);
    // The first reply teaches the limiter the limit; at most the burst before that sees a 429.
    expect(run.fake.count(429)).toBeLessThanOrEqual(1);
    expect(run.fake.requests[0]!.status).toBe(200);
    expect(run.engine.limiters.get(PROFILE)!.stats.granted).toBeGreaterThanOrEqual(22);
  });
});
