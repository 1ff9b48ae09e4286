import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTrack } from '../../src/config/index.js';
import type { AgentArchetype, ClutchConfig, ProposedTrack } from '../../src/protocol/index.js';
import { agent, call, done, reply, startEngine, text, until, type Harness } from '../support/engine-harness.js';

/**
 * The whole flow of issue 12 through the real engine, the scripted model and real tools: a request
 * planned by the pm (a bad proposal first), revised by the tech lead, edited and approved by the
 * human, run with a code review that asks for changes once and a QA hint after a failing command.
 */

const planner = (tier: 1 | 2 | 4, tools: AgentArchetype['tools']): AgentArchetype => agent('auto', { tier, tools, allowed_commands: [], system_prompt: `tier ${tier}` });

function config(overrides: Partial<ClutchConfig['execution']> = {}, worker: Partial<AgentArchetype> = {}): ClutchConfig {
  return {
    source: '/virtual/agents.toml',
    execution: { mode: 'async', max_concurrency: 4, trust_override: 'none', debug_state_path: 'debug_state.json', max_review_rounds: 2, qa_raw_lines: 4, max_plan_rounds: 1, ...overrides },
    models: { scripted: { provider: 'scripted', script: 'script.json' } },
    agents: {
      codegen: agent('auto', { review_by: 'tech_lead', qa_by: 'qa', ...worker }),
      pm: planner(1, ['read_file', 'list_files', 'task_complete']),
      tech_lead: planner(2, ['read_file', 'list_files', 'task_complete']),
      qa: planner(4, ['task_complete']),
    },
  };
}

const ticket = (id: string, dependencies: string[] = [], prompt = `Write ${id.toLowerCase()}.txt`) => ({ id, target_file: `${id.toLowerCase()}.txt`, prompt, worker_archetype: 'codegen', dependencies });
const pending = (id: string) => ({ ...ticket(id), status: 'pending' as const });
const plan = (tickets: ProposedTrack['tickets']): ProposedTrack => ({ title: 'Two files', description: 'a, then b', tickets });
const write = (id: string, path: string, content: string) => reply(call(id, 'write_file', { path, content }));
const verdict = (id: string, name: 'approve_change' | 'request_changes', input: Record<string, unknown>) => [reply(call(id, name, input))];

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** The planner once it waits for the human (at plan approval, or failed). Its snapshots are not the conductor's. */
async function atApproval(engine: Harness['engine']) {
  await until(engine, () => engine.planner()?.getSnapshot().matches('awaitingApproval') === true || engine.planner()?.getSnapshot().matches('failed') === true);
  return engine.planner()!;
}

describe('a request, planned, approved and run with review and QA', () => {
  it('goes from the request to a reviewed change, with every step journaled and its tokens counted per tier', async () => {
    const cyclic = plan([ticket('A', ['B']), { ...ticket('B', ['A']), worker_archetype: 'qa' }]);
    const good = plan([ticket('A'), ticket('B', ['A'])]);
    const revised = { ...plan([ticket('A'), ticket('B', ['A'], 'Write b.txt from what a.txt says')]), note: 'B should build on A' };
    harness = startEngine({
      tickets: [],
      request: 'Write a.txt, then b.txt from it',
      config: config(),
      isolation: 'worktree',
      script: {
        A: [
          write('a1', 'a.txt', 'one\n'),
          reply(call('a2', 'run_command', { argv: ['node', '-e', "for (let i = 0; i < 40; i++) console.log('line ' + i); process.exit(3)"] })),
          write('a3', 'a.txt', 'two\n'),
          done('a4', 'wrote a.txt'),
          // After the review's comments, in the same transcript:
          write('a5', 'a.txt', 'three\n'),
          done('a6', 'a.txt now says three, as the review asked'),
        ],
        B: [write('b1', 'b.txt', 'from a\n'), done('b2', 'wrote b.txt')],
      },
      agents: {
        pm: { default: [reply(text('A plan.'), call('p1', 'propose_track', cyclic)), reply(call('p2', 'propose_track', good))] },
        tech_lead: {
          tickets: { '@plan-review': [reply(call('l1', 'revise_track', revised))], A: { attempts: [verdict('r1', 'request_changes', { comments: '1. a.txt must say three.' }), verdict('r2', 'approve_change', { comment: 'good' })] } },
          default: verdict('r0', 'approve_change', {}),
        },
        qa: { default: [reply(text('The script exits 3 on purpose after 40 lines; write a.txt again instead of running it.'))] },
      },
    });
    const { engine, journal, runDir } = harness;

    // Tier 1: the bad proposal went back to the pm as a tool error naming every problem.
    const planned = await atApproval(engine);
    const rejected = journal.find((entry) => entry.kind === 'tool' && entry.tool === 'propose_track' && entry.is_error);
    expect(rejected && rejected.kind === 'tool' ? rejected.output : '').toMatch(/dependency cycle: A -> B -> A[\s\S]*unknown worker_archetype "qa"/);
    // Tier 2: the tech lead revised it.
    expect(planned.getSnapshot().context).toMatchObject({ author: 'tech_lead', note: 'B should build on A' });
    expect(planned.getSnapshot().context.proposal?.tickets[1]?.prompt).toBe('Write b.txt from what a.txt says');
    expect(engine.track().tickets).toEqual([]);

    // ◆ Plan approval: an invalid edit changes nothing and says why; a valid one is the plan now.
    const bad = engine.send({ kind: 'planner' }, { type: 'plan.edit', track: plan([ticket('A', ['B']), ticket('B', ['A'])]) as never });
    expect(bad).toEqual({ ok: false, error: expect.stringContaining('dependency cycle: A -> B -> A') });
    expect(planned.getSnapshot().context.author).toBe('tech_lead');
    const edited = plan([ticket('A', [], 'Write a.txt (edited by the human)'), ticket('B', ['A'], 'Write b.txt from what a.txt says')]);
    expect(engine.send({ kind: 'planner' }, { type: 'plan.edit', track: edited as never })).toEqual({ ok: true });
    expect(planned.getSnapshot().context).toMatchObject({ author: 'human', proposal: edited });
    // Out of send-back rounds? No: one is allowed (max_plan_rounds = 1); but approve now.
    expect(engine.send({ kind: 'planner' }, { type: 'plan.approve' })).toEqual({ ok: true });

    const outcome = await engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: { A: 'completed', B: 'completed' } });

    // The approved plan is the run's track.toml, which a track file check accepts.
    const trackFile = join(runDir, 'track.toml');
    expect(existsSync(trackFile)).toBe(true);
    const loaded = loadTrack(trackFile, { config: config() });
    expect(loaded.ok && loaded.value.track.tickets.map((t) => [t.id, t.prompt, t.dependencies])).toEqual([
      ['A', 'Write a.txt (edited by the human)', []],
      ['B', 'Write b.txt from what a.txt says', ['A']],
    ]);
    expect(journal.find((entry) => entry.kind === 'plan.approved')).toMatchObject({ tickets: 2, title: 'Two files' });

    // Tier 4: the failing command's output became a hint; the journal keeps all of it.
    const failing = journal.find((entry) => entry.kind === 'tool' && entry.tool === 'run_command');
    expect(failing && failing.kind === 'tool' ? failing.output : '').toMatch(/^exit code 3\n[\s\S]*line 39/);
    const hint = journal.find((entry) => entry.kind === 'qa.hint');
    expect(hint).toMatchObject({ ticket: 'A', archetype: 'qa', hint: expect.stringContaining('exits 3 on purpose') });
    expect(hint && hint.kind === 'qa.hint' ? hint.saved_tokens : 0).toBeGreaterThan(0);
    const transcript = (engine.finishedSnapshots().get('A')?.worker as unknown as { context: { messages: { role: string; content: unknown }[] } }).context.messages;
    const shown = JSON.stringify(transcript);
    expect(shown).toContain('QA hint (qa): The script exits 3 on purpose');
    expect(shown).toContain('line 0');
    expect(shown).not.toContain('line 20');

    // Tier 2 review: changes once, in the same transcript, then approved.
    expect(journal.filter((entry) => entry.kind === 'review.verdict').map((entry) => entry.kind === 'review.verdict' && [entry.ticket, entry.verdict])).toEqual(
      expect.arrayContaining([
        ['A', 'request_changes'],
        ['A', 'approve'],
        ['B', 'approve'],
      ]),
    );
    // Numbered per attempt: the ticket's attempt, and the review's round in it.
    expect(journal.flatMap((entry) => (entry.kind === 'review.verdict' && entry.ticket === 'A' ? [[entry.attempt, entry.round]] : []))).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(shown).toContain('1. a.txt must say three.');
    expect(shown.indexOf('"a1"')).toBeLessThan(shown.indexOf('1. a.txt must say three.'));
    const reviewer = engine.finishedSnapshots().get('A@review')?.worker as unknown as { context: { messages: { content: unknown }[] } };
    expect(String(reviewer.context.messages[0]!.content)).toContain('+three');
    expect(engine.track().tickets.find((t) => t.id === 'A')?.summary).toBe('a.txt now says three, as the review asked');

    // Tokens per tier, and what the hint saved.
    const usage = engine.usage();
    expect(Object.keys(usage.tiers).sort()).toEqual(['1', '2', '3', '4']);
    expect(usage.qa.hints).toBe(1);
    expect(usage.tickets['A@review']).toMatchObject({ tier: 2 });
    expect(usage.tickets['@plan']).toMatchObject({ tier: 1 });
  });

  it('a reviewer that never approves blocks the ticket after max_review_rounds, with its comments as the reason', async () => {
    harness = startEngine({
      tickets: [pending('A')],
      config: config({ max_review_rounds: 1 }),
      script: { A: [write('a1', 'a.txt', 'x\n'), done('a2'), write('a3', 'a.txt', 'y\n'), done('a4')] },
      agents: { tech_lead: { default: verdict('r', 'request_changes', { comments: 'never good enough' }) } },
    });
    const outcome = await harness.engine.finished();
    expect(outcome).toEqual({ state: 'stalled', tickets: { A: 'blocked' } });
    expect(harness.engine.track().tickets[0]!.blocked_reason).toBe('the code review still requests changes after 2 reviews (max_review_rounds = 1): never good enough');
    // The ticket can go on: a retry is accepted.
    expect(harness.engine.send({ kind: 'ticket', id: 'A' }, { type: 'ticket.retry', files: 'keep' })).toEqual({ ok: true });
  });

  it('a pm that gives no plan fails the planning with the reason; retry asks again; send back is bounded by max_plan_rounds', async () => {
    harness = startEngine({
      tickets: [],
      request: 'Plan something',
      config: config(),
      script: {},
      agents: { pm: { default: { attempts: [[reply(text('I have nothing.'))], [reply(call('p', 'propose_track', plan([ticket('A')])))], [reply(call('q', 'propose_track', plan([ticket('A'), ticket('B')])))]] } }, tech_lead: { default: [done('l')] } },
    });
    const { engine } = harness;
    // A text-only reply gets nudged until max_turns (6): the pm failed, and says so.
    let planner = await atApproval(engine);
    expect(planner.getSnapshot().value).toBe('failed');
    expect(planner.getSnapshot().context.reason).toMatch(/^the pm did not propose a track: /);
    expect(engine.send({ kind: 'planner' }, { type: 'plan.approve' })).toMatchObject({ ok: false });
    expect(engine.send({ kind: 'planner' }, { type: 'plan.retry' })).toEqual({ ok: true });
    await until(engine, () => engine.planner()?.getSnapshot().matches('awaitingApproval') === true);
    planner = engine.planner()!;
    expect(planner.getSnapshot().context.proposal?.tickets.map((t) => t.id)).toEqual(['A']);
    expect(engine.send({ kind: 'planner' }, { type: 'plan.send_back', comment: 'Add B' })).toEqual({ ok: true });
    await until(engine, () => engine.planner()?.getSnapshot().matches('awaitingApproval') === true && engine.planner()!.getSnapshot().context.rounds === 1);
    const pm = engine.finishedSnapshots().get('@plan')?.worker as unknown as { context: { messages: { content: unknown }[] } };
    expect(String(pm.context.messages[0]!.content)).toContain('The human sent your previous plan back with this comment: Add B');
    expect(engine.planner()!.getSnapshot().context.proposal?.tickets.map((t) => t.id)).toEqual(['A', 'B']);
    // max_plan_rounds = 1: no more sending back, only edit and approve.
    expect(engine.send({ kind: 'planner' }, { type: 'plan.send_back', comment: 'again' })).toMatchObject({ ok: false, error: expect.stringContaining('does not accept plan.send_back now') });
  });

  it('linear mode waits for a ticket\'s review and QA before the next ticket starts', async () => {
    harness = startEngine({
      tickets: [pending('A'), pending('B')],
      mode: 'linear',
      config: config({}, {}),
      script: {
        A: [reply(call('a1', 'run_command', { argv: ['node', '-e', 'process.exit(1)'] })), done('a2')],
        B: [done('b1')],
      },
      agents: { tech_lead: { default: verdict('r', 'approve_change', {}) }, qa: { default: [reply(text('exit 1: fix it'))] } },
    });
    const { engine, journal } = harness;
    await engine.finished();
    const order = journal.flatMap((entry) =>
      entry.kind === 'qa.hint' ? [`qa:${entry.ticket}`] : entry.kind === 'review.verdict' ? [`review:${entry.ticket}`] : entry.kind === 'ticket.status' && entry.status === 'running' ? [`run:${entry.ticket}`] : [],
    );
    expect(order.indexOf('qa:A')).toBeLessThan(order.indexOf('run:B'));
    expect(order.indexOf('review:A')).toBeLessThan(order.indexOf('run:B'));
    expect(readFileSync(join(harness.runDir, 'debug_state.json'), 'utf8')).toContain('"A"');
  });

  it('asks for no QA hint once the ticket\'s budget is spent: the worker gets the raw output, then stops at its budget pause', async () => {
    harness = startEngine({
      tickets: [pending('A')],
      config: config({}, { review_by: undefined, max_tokens_per_ticket: 10 } as never),
      script: { A: [reply(call('a1', 'run_command', { argv: ['node', '-e', 'process.exit(1)'] })), done('a2')] },
      agents: { qa: { default: [reply(text('exit 1: fix it'))] } },
    });
    const { engine, journal } = harness;
    await until(engine, () => engine.worker('A')?.getSnapshot().matches('budgetPaused') === true);
    expect(journal.filter((entry) => entry.kind === 'qa.hint')).toEqual([]);
    expect(journal.filter((entry) => entry.kind === 'model.turn').map((entry) => entry.kind === 'model.turn' && entry.ticket)).toEqual(['A']);
    const results = engine.worker('A')!.getSnapshot().context.messages.at(-1)!.content;
    expect(JSON.stringify(results)).toMatch(/exit code 1/);
    expect(JSON.stringify(results)).not.toMatch(/QA hint/);
  });

  it("puts the skeletons of its dependencies' files into a ticket's first message, read where they merged", async () => {
    const money = { id: 'M', target_file: 'src/money.js', prompt: 'Write money.js', worker_archetype: 'codegen', dependencies: [], status: 'pending' as const };
    const cart = { id: 'C', target_file: 'src/cart.js', prompt: 'Write cart.js', worker_archetype: 'codegen', dependencies: ['M'], status: 'pending' as const };
    harness = startEngine({
      tickets: [money, cart],
      isolation: 'worktree',
      config: config({}, { review_by: undefined, qa_by: undefined } as never),
      script: {
        M: [write('m1', 'src/money.js', '/** Dollars to cents. */\nexport function toCents(amount, { round = true } = {}) {\n  return Math.round(amount * 100);\n}\n'), done('m2')],
        C: [done('c1')],
      },
    });
    await harness.engine.finished();
    const first = (harness.engine.finishedSnapshots().get('C')?.worker as unknown as { context: { messages: { content: unknown }[] } }).context.messages[0]!.content as string;
    expect(first).toContain('The files this ticket depends on, as skeletons');
    expect(first).toContain('src/money.js');
    expect(first).toMatch(/exports:[\s\S]*toCents\(amount, \{ round = true \}[^)]*\)/);
    expect(first).not.toContain('Math.round');
    const M = (harness.engine.finishedSnapshots().get('M')?.worker as unknown as { context: { messages: { content: unknown }[] } }).context.messages[0]!.content as string;
    expect(M).not.toContain('as skeletons');
  });
});
