/**
 * Rate-limit scheduler benchmark (run with `npm run bench` or `npx tsx bench/anthropic.ts`; never
 * part of `npm test`).
 *
 * 50 independent tickets in async mode, every worker on one anthropic profile, the real SDK talking
 * to the fake Messages API (tests/support/fake-anthropic.ts) over HTTP on 127.0.0.1. The fake
 * enforces R requests per window with a continuous token bucket and answers 429 + retry-after
 * beyond it; the profile is configured with the same R. To keep the bench quick, the "minute" of
 * both is scaled down to WINDOW_MS (Engine option rateLimitWindowMs, fake option windowMs): the
 * scheduler does not care how long its window is.
 *
 * Each ticket takes two model turns (write_file, then task_complete): 100 requests. Both buckets
 * start full, so over a span T the limit allows R + R × T / WINDOW_MS requests; achieved/R is the
 * requests served from the first to the last divided by that allowance (1.0 = every slot used).
 * Targets: achieved/R >= 0.95, and no failed ticket. 429s are counted and reported.
 *
 * Options: --tickets=50 --rate=30 --window=2000
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/actors/engine.js';
import { modelsFromConfig } from '../src/actors/models.js';
import type { AssistantMessage, ClutchConfig, Ticket } from '../src/protocol/index.js';
import { startFakeAnthropic } from '../tests/support/fake-anthropic.js';

function option(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

const TICKETS = option('tickets', 50);
const RATE = option('rate', 30);
const WINDOW_MS = option('window', 2000);
const KEY = 'sk-ant-bench-key';

const config: ClutchConfig = {
  source: '/bench/agents.toml',
  execution: { mode: 'async', max_concurrency: TICKETS, trust_override: 'auto', debug_state_path: 'debug_state.json' },
  models: {
    bench: { provider: 'anthropic', model: 'claude-bench', max_tokens: 1024, requests_per_minute: RATE, max_concurrency: TICKETS },
  },
  agents: {
    writer: {
      tier: 3,
      model: 'bench',
      trust_level: 'auto',
      tools: ['write_file', 'task_complete'],
      allowed_commands: [],
      max_turns: 4,
      system_prompt: 'Write the file, then call task_complete.',
      command_timeout_s: 10,
    },
  },
};

const tickets: Ticket[] = Array.from({ length: TICKETS }, (_, n) => ({
  id: `B${n + 1}`,
  target_file: `out/B${n + 1}.txt`,
  prompt: `write out/B${n + 1}.txt`,
  worker_archetype: 'writer',
  status: 'pending',
  dependencies: [],
}));

const fake = await startFakeAnthropic({
  apiKey: KEY,
  requestsPerWindow: RATE,
  windowMs: WINDOW_MS,
  responder: (request): AssistantMessage => {
    const id = request.ticketId ?? 'X';
    return request.assistantTurns === 0
      ? { role: 'assistant', content: [{ type: 'tool_use', id: `w_${id}`, name: 'write_file', input: { path: `out/${id}.txt`, content: id } }] }
      : { role: 'assistant', content: [{ type: 'tool_use', id: `d_${id}`, name: 'task_complete', input: { summary: `wrote ${id}` } }] };
  },
});

const root = mkdtempSync(join(tmpdir(), 'clutch-bench-anthropic-'));
const workspace = join(root, 'workspace');
mkdirSync(workspace);
try {
  const modelFor = await modelsFromConfig(config, ['writer'], { env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: fake.url } });
  const engine = new Engine({
    config,
    track: { id: 'bench', title: 'Bench', description: '', status: 'pending', tickets },
    workspace,
    modelFor,
    mode: 'async',
    trustOverride: 'auto',
    rateLimitWindowMs: WINDOW_MS,
  });
  const started = performance.now();
  engine.start();
  const outcome = await engine.finished();
  const elapsed = performance.now() - started;
  await engine.stop();

  const served = fake.requests.filter((request) => request.status === 200).map((request) => request.at).sort((a, b) => a - b);
  // What the limit allows from the first served request to the last: a full bucket, then R per window.
  const span = served.at(-1)! - served[0]!;
  const allowed = RATE + (RATE * span) / WINDOW_MS;
  const ratio = served.length / allowed;
  const steady = ((served.length - RATE) / span) * WINDOW_MS;
  const failed = Object.values(outcome.tickets).filter((status) => status !== 'completed').length;
  const limiter = engine.limiters.get('bench')!;
  console.log(`tickets ${TICKETS}, limit R = ${RATE} requests per ${WINDOW_MS} ms window (a scaled minute)`);
  console.log(`requests: ${fake.requests.length} sent, ${served.length} served, in ${(elapsed / 1000).toFixed(2)} s`);
  console.log(`served ${served.length} of the ${allowed.toFixed(1)} the limit allows over ${span} ms (one full bucket + R per window)`);
  console.log(`achieved/R = ${ratio.toFixed(3)} (target >= 0.95); rate beyond the first bucket: ${steady.toFixed(2)} per window`);
  console.log(`429s: ${fake.count(429)}; concurrency cuts: ${limiter.stats.cuts}; failed tickets: ${failed} (target 0)`);
  const ok = ratio >= 0.95 && failed === 0;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  await fake.close();
  rmSync(root, { recursive: true, force: true });
}
