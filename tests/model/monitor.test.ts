import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Engine } from '../../src/actors/engine.js';
import type { JournalEntry } from '../../src/actors/journal.js';
import { chunkedFrom } from '../../src/machines/chunked.js';
import type { FlatWorkerContext } from '../../src/machines/worker-types.js';
import type { BudgetStop, ModelMessage, Ticket } from '../../src/protocol/index.js';
import type { RecordedRequest } from '../../src/testing/fakes.js';
import { Monitor, unpairedCalls } from '../../src/testing/monitor.js';
import { spentBudgets } from '../../src/testing/properties.js';

/** Just enough of an engine to feed the monitor what a broken engine would do. */
class FakeEngine {
  readonly conductor = { id: 'conductor', getSnapshot: () => ({ status: 'done', can: () => false }) } as unknown as AnyActorRef;
  readonly #worker = { id: 'worker', getSnapshot: () => this.workerSnapshot } as unknown as AnyActorRef;
  /** What the live worker's snapshot says it accepts; null: no live worker. */
  workerSnapshot: { status: string; can(event: { type: string }): boolean } | null = null;
  /** A broken Engine.command: it sends whatever it is given, and journals it. */
  acceptsEverything = false;
  readonly #inspectors: Array<(event: InspectionEvent) => void> = [];
  readonly #journal: Array<(entry: JournalEntry) => void> = [];
  readonly journal = { subscribe: (listener: (entry: JournalEntry) => void) => this.#journal.push(listener) };
  /** Results in the run store's ledger, by tool_use id. */
  readonly results = new Map<string, { content: string; is_error: boolean }>();
  /** Inputs in the run store's ledger, by tool_use id. */
  readonly inputs = new Map<string, unknown>();
  /** A planner at plan approval, when a test gives one: what its snapshot accepts. */
  plannerSnapshot: { status: string; can(event: { type: string }): boolean } | null = null;
  readonly #planner = { id: 'planner', getSnapshot: () => this.plannerSnapshot } as unknown as AnyActorRef;
  readonly options = {
    // Archetype `reviewed` has its tickets reviewed (by `r`); `a`, every other test's, has not.
    config: { agents: { a: {}, reviewed: { review_by: 'r' } } },
    log: {
      toolCall: (key: { toolUseId: string }) =>
        this.results.has(key.toolUseId) || this.inputs.has(key.toolUseId) ? { input: this.inputs.get(key.toolUseId), result: this.results.get(key.toolUseId) ?? null } : undefined,
    },
  };
  /** The track as the conductor reports it. */
  tickets: Ticket[] = [];
  subscribeInspection(listener: (event: InspectionEvent) => void) {
    this.#inspectors.push(listener);
  }
  keyOf(ref: AnyActorRef) {
    return ref === this.#worker ? 'worker:T1' : ref === this.conductor ? 'conductor' : undefined;
  }
  elapsed() {
    return 0;
  }
  ticket() {
    return undefined;
  }
  worker(id: string) {
    return id === 'T1' && this.workerSnapshot ? this.#worker : undefined;
  }
  planner() {
    return this.plannerSnapshot ? this.#planner : undefined;
  }
  command(target: { kind: string; id?: string }, event: { type: string }) {
    if (!this.acceptsEverything) return false;
    this.append({ kind: 'command', at: 0, target: target.id ? `${target.kind}:${target.id}` : target.kind, event });
    return true;
  }
  track() {
    return { id: 't', title: 't', description: '', status: 'running', tickets: this.tickets };
  }
  snapshot(event: string, value: unknown, context: Partial<FlatWorkerContext>) {
    this.#inspect({ type: '@xstate.snapshot', actorRef: this.#worker, event: { type: event }, snapshot: { value, status: 'active', context: { ...base, ...context } } });
  }
  conductorSnapshot(event: string, value: unknown, statuses: Record<string, string>, maxConcurrency = 2) {
    const ids = Object.keys(statuses);
    const context = { tickets: chunkedFrom(ids.map((id) => ({ status: statuses[id] }))), indexOf: Object.fromEntries(ids.map((id, index) => [id, index])), maxConcurrency };
    this.#inspect({ type: '@xstate.snapshot', actorRef: this.conductor, event: { type: event }, snapshot: { value, status: 'active', context } });
  }
  #inspect(inspection: unknown) {
    for (const listener of this.#inspectors) listener(inspection as InspectionEvent);
  }
  append(entry: JournalEntry) {
    for (const listener of this.#journal) listener(entry);
  }
}

const call = { type: 'tool_use' as const, id: 'c1', name: 'write_file', input: { path: 'c1.txt', content: 'x' } };
const asked: ModelMessage[] = [{ role: 'user', content: 'go' }, { role: 'assistant', content: [call] }];
const base: FlatWorkerContext = {
  ticketId: 'T1', attempt: 1, archetype: 'a', finish: [], qa: null, finished: null, hint: null, profile: 'p', system: '', tools: [], maxTurns: 5, trust: 'step', trustOverride: 'none',
  messages: asked, turns: 1, draft: '', results: [], review: null, preview: null, refusal: null, edits: [],
  usage: { input_tokens: 0, output_tokens: 0 }, summary: null, reason: null, waiting: null, retries: 0, rerun: null, approveEdited: null, budget: null, budgetPauses: 0,
};
const result = { type: 'tool_result' as const, tool_use_id: 'c1', content: 'ok', is_error: false };
const ticket = (id: string, dependencies: string[] = []): Ticket => ({ id, target_file: `${id}.txt`, prompt: id, worker_archetype: 'a', status: 'pending', dependencies });
const status = (ticketId: string, value: string, reason?: string): JournalEntry => ({ kind: 'ticket.status', at: 0, ticket: ticketId, status: value, attempt: 1, ...(reason ? { reason } : {}) });

let workspace: string | undefined;
afterEach(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
  workspace = undefined;
});

function monitor(tickets: Ticket[] = [ticket('T1')], requests: RecordedRequest[] = []) {
  const folder = mkdtempSync(join(tmpdir(), 'clutch-monitor-'));
  workspace = folder;
  const engine = new FakeEngine();
  return { engine, requests, monitor: new Monitor({ engine: engine as unknown as Engine, requests, workspaces: () => [folder], tickets }) };
}

describe('the safety monitor fails on a broken engine', () => {
  it('passes the two pauses taken in order', () => {
    const { engine, monitor: watch } = monitor();
    engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, {});
    engine.snapshot('clutch.approve', { toolCycle: 'executing' }, {});
    engine.snapshot('xstate.done.actor.tool', { toolCycle: 'reviewingResult' }, { review: result });
    engine.snapshot('clutch.approve', 'prompting', { results: [], review: null, messages: [...asked, { role: 'user', content: [result] }] });
    expect(() => watch.check()).not.toThrow();
  });

  it('a tool started in step mode without an approve', () => {
    const { engine, monitor: watch } = monitor();
    engine.snapshot('model.reply', { toolCycle: 'executing' }, {});
    expect(() => watch.check()).toThrow(/c1 started in step mode without an approve/);
  });

  it('a result that passed pause 2 without an approve, in the transcript and in a model request', () => {
    const request: RecordedRequest = { ticketId: 'T1', attempt: 1, messages: [...asked, { role: 'user', content: [result] }] };
    const { engine, monitor: watch, requests } = monitor();
    engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, {});
    engine.snapshot('clutch.approve', { toolCycle: 'executing' }, {});
    engine.snapshot('xstate.done.actor.tool', { toolCycle: 'reviewingResult' }, { review: result });
    engine.snapshot('clutch.edit_result', 'prompting', { results: [result], review: null });
    requests.push(request);
    expect(() => watch.check()).toThrow(/passed pause 2 without an approve[\s\S]*the model saw the result of c1/);
  });

  it('a transcript sent to the model with a tool_use left unanswered', () => {
    expect(unpairedCalls([...asked, { role: 'user', content: 'next' }])).toEqual(['tool_use c1 (message 1) has no tool_result after it']);
    expect(unpairedCalls([{ role: 'user', content: [result] }])).toEqual(['tool_result c1 (message 0) answers no tool_use before it']);
  });

  it('a file written by a call that was never let through', () => {
    const { monitor: watch } = monitor();
    writeFileSync(join(workspace!, 'c9.txt'), 'x');
    expect(() => watch.check()).toThrow(/c9\.txt, but call c9 was never let through/);
  });

  /** Step mode: approved at pause 1, then the run store says the command was cut short by a crash. */
  function interrupted() {
    const watched = monitor();
    watched.engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, {});
    watched.engine.snapshot('clutch.approve', { toolCycle: 'executing' }, {});
    watched.engine.snapshot('xstate.done.actor.tool', { toolCycle: 'interrupted' }, {});
    return watched;
  }

  it('passes an interrupted call that runs again only on the human\'s rerun, its result held at pause 2', () => {
    const { engine, monitor: watch } = interrupted();
    engine.snapshot('clutch.set_trust', { toolCycle: 'interrupted' }, { trust: 'auto' });
    engine.snapshot('clutch.set_trust', { toolCycle: 'interrupted' }, { trust: 'step' });
    expect(() => watch.check()).not.toThrow();
    engine.snapshot('clutch.rerun', { toolCycle: 'executing' }, { rerun: 'c1' });
    writeFileSync(join(workspace!, 'c1.txt'), 'ran');
    engine.results.set('c1', { content: 'ran', is_error: false });
    engine.snapshot('xstate.done.actor.tool', { toolCycle: 'reviewingResult' }, { review: result });
    engine.snapshot('clutch.approve', 'prompting', { results: [], review: null, messages: [...asked, { role: 'user', content: [result] }] });
    expect(() => watch.check()).not.toThrow();
  });

  it('an interrupted call started again without a rerun', () => {
    const { engine, monitor: watch } = interrupted();
    engine.snapshot('clutch.set_trust', { toolCycle: 'executing' }, { trust: 'auto' });
    expect(() => watch.check()).toThrow(/c1 was interrupted, and started again without a clutch\.rerun/);
  });

  it('an interrupted command that ran while the worker sat at the pause: the file it writes', () => {
    const { monitor: watch } = interrupted();
    writeFileSync(join(workspace!, 'c1.txt'), 'ran');
    expect(() => watch.check()).toThrow(/c1 was interrupted, and its command ran without a clutch\.rerun/);
  });

  it('an interrupted command that ran while the worker sat at the pause: its result in the run store', () => {
    const { engine, monitor: watch } = interrupted();
    engine.results.set('c1', { content: 'ran', is_error: false });
    expect(() => watch.check()).toThrow(/c1 was interrupted and has a result in the run store/);
  });

  it('the empty result taken at the interrupted pause passing pause 2 without an approve', () => {
    const { engine, monitor: watch } = interrupted();
    const empty = { ...result, content: '' };
    engine.snapshot('clutch.use_output', { toolCycle: 'reviewingResult' }, { review: empty });
    engine.snapshot('clutch.edit_result', 'prompting', { results: [empty], review: null });
    expect(() => watch.check()).toThrow(/result of c1 passed pause 2 without an approve/);
  });

  it('linear mode starting a ticket while another runs', () => {
    const { engine, monitor: watch } = monitor([ticket('A'), ticket('B')]);
    engine.append({ kind: 'run.start', at: 0, track: 't', mode: 'linear', trust_override: 'none' });
    engine.append(status('A', 'running'));
    engine.append(status('B', 'running'));
    expect(() => watch.check()).toThrow(/linear mode started B while A ran/);
  });

  it('a ticket starting before its dependencies completed', () => {
    const { engine, monitor: watch } = monitor([ticket('A'), ticket('B', ['A'])]);
    engine.append(status('A', 'running'));
    engine.append(status('A', 'blocked', 'failed'));
    engine.append(status('B', 'running'));
    expect(() => watch.check()).toThrow(/B started before its dependencies A completed/);
  });

  it('an abort that does not leave the ticket blocked with a reason', () => {
    const { engine, monitor: watch } = monitor();
    engine.append({ kind: 'command', at: 0, target: 'worker:T1', event: { type: 'clutch.abort' } });
    engine.append(status('T1', 'running'));
    engine.append(status('T1', 'blocked'));
    expect(() => watch.check()).toThrow(/abort of T1 did not leave it blocked with a reason/);
  });

  describe('edits', () => {
    const second = { type: 'tool_use' as const, id: 'c2', name: 'read_file', input: { path: 'c2.md' } };
    const two: ModelMessage[] = [{ role: 'user', content: 'go' }, { role: 'assistant', content: [call, second] }];
    const replacement = { path: 'c1.txt', content: 'edited' };
    const edit = { kind: 'edit_payload' as const, accepted: true, toolUseId: 'c1', original: call.input, replacement };

    it('passes a payload edit that changes its own call only', () => {
      const { engine, monitor: watch } = monitor();
      engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, { messages: two });
      const edited: ModelMessage[] = [two[0]!, { role: 'assistant', content: [{ ...call, input: replacement }, second] }];
      engine.snapshot('clutch.edit_payload', { toolCycle: { awaitingApproval: 'previewing' } }, { messages: edited, edits: [edit] });
      expect(() => watch.check()).not.toThrow();
    });

    it('a payload edit that rewrites the other call of the message too', () => {
      const { engine, monitor: watch } = monitor();
      engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, { messages: two });
      const everywhere: ModelMessage[] = [two[0]!, { role: 'assistant', content: [{ ...call, input: replacement }, { ...second, input: replacement }] }];
      engine.snapshot('clutch.edit_payload', { toolCycle: { awaitingApproval: 'previewing' } }, { messages: everywhere, edits: [edit] });
      expect(() => watch.check()).toThrow(/the edit of c1 also changed call c2[\s\S]*an edit changes only its own call/);
    });

    it('a payload edit accepted but not applied to the transcript', () => {
      const { engine, monitor: watch } = monitor();
      engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, { messages: two });
      engine.snapshot('clutch.edit_payload', { toolCycle: { awaitingApproval: 'previewing' } }, { messages: two, edits: [edit] });
      expect(() => watch.check()).toThrow(/the edit of c1 was accepted, but its tool_use says/);
    });

    it('an accepted payload edit that is not what ran', () => {
      const { engine, monitor: watch } = monitor();
      engine.append({ kind: 'edit', at: 0, ticket: 'T1', attempt: 1, edit });
      engine.append({ kind: 'tool', at: 0, ticket: 'T1', attempt: 1, tool: 'write_file', tool_use_id: 'c1', input: call.input, is_error: false, output: 'ok' });
      expect(() => watch.check()).toThrow(/c1 ran with .*, but the human's accepted payload edit was .*the model sees the tool_use that really ran/);
    });

    it('the model shown a tool_use other than the one that ran (the run store says what ran)', () => {
      const request: RecordedRequest = { ticketId: 'T1', attempt: 1, messages: [...asked, { role: 'user', content: [result] }] };
      const { engine, monitor: watch, requests } = monitor();
      engine.inputs.set('c1', replacement);
      engine.snapshot('model.reply', { toolCycle: { awaitingApproval: 'ready' } }, {});
      engine.snapshot('clutch.approve', { toolCycle: 'executing' }, {});
      engine.append({ kind: 'edit', at: 0, ticket: 'T1', attempt: 1, edit });
      engine.append({ kind: 'tool', at: 0, ticket: 'T1', attempt: 1, tool: 'write_file', tool_use_id: 'c1', input: call.input, is_error: false, output: 'ok' });
      expect(() => watch.check()).not.toThrow();
      requests.push(request);
      expect(() => watch.check()).toThrow(/model request 1 \(T1 attempt 1\): the model was shown c1 with .*, but it ran with .*"edited"/);
    });
  });

  it('passes a refused command that the engine refuses', () => {
    const { engine, monitor: watch } = monitor();
    engine.workerSnapshot = { status: 'active', can: (event) => event.type === 'clutch.approve' };
    expect(() => watch.check()).not.toThrow();
  });

  it('an engine that sends a command can() refuses', () => {
    const { engine, monitor: watch } = monitor();
    engine.workerSnapshot = { status: 'active', can: (event) => event.type === 'clutch.approve' };
    engine.acceptsEverything = true;
    expect(() => watch.check()).toThrow(/worker:T1: clutch\.rerun is refused by can\(\), yet the engine accepted it \(a command that can\(\) refuses changes nothing\)/);
    expect(watch.violations.join('\n')).not.toMatch(/clutch\.approve is refused/);
  });

  it('a mode switch that does not dispatch: a ready ticket waits with room to start', () => {
    const { engine, monitor: watch } = monitor([ticket('A'), ticket('B', ['A']), ticket('C')]);
    engine.conductorSnapshot('conductor.start', { mode: 'linear', trustOverride: 'none', run: 'running' }, { A: 'running', B: 'pending', C: 'pending' });
    expect(() => watch.check()).not.toThrow();
    engine.conductorSnapshot('conductor.set_mode', { mode: 'async', trustOverride: 'none', run: 'running' }, { A: 'running', B: 'pending', C: 'pending' });
    expect(() => watch.check()).toThrow(/after conductor\.set_mode: C is ready and could start \(async, 1 running of 2\), but waits \(a mode switch dispatches at once\)/);
    expect(watch.violations.join('\n')).not.toMatch(/B is ready/);
  });

  it('linear mode with nothing running and a ready ticket waiting', () => {
    const { engine, monitor: watch } = monitor([ticket('A'), ticket('B', ['A'])]);
    engine.conductorSnapshot('ticket.changed', { mode: 'linear', trustOverride: 'none', run: 'running' }, { A: 'completed', B: 'pending' });
    expect(() => watch.check()).toThrow(/after ticket\.changed: B is ready and could start \(linear, 0 running of 2\)/);
  });

  it('a skipped ticket reported completed but not skipped, and one skipped that no one skipped', () => {
    const { engine, monitor: watch } = monitor([ticket('T1'), ticket('T2')]);
    engine.tickets = [{ ...ticket('T1'), status: 'completed' }, { ...ticket('T2'), status: 'completed', skipped: true }];
    engine.append({ kind: 'command', at: 0, target: 'ticket:T1', event: { type: 'ticket.skip' } });
    expect(() => watch.check()).toThrow(/T1 was skipped, but the track reports it completed, not skipped[\s\S]*T2 is reported skipped, but no one skipped it/);
  });
  it('a planned run: no ticket starts before the human approves the plan', () => {
    const { engine, monitor: watch } = monitor([]);
    engine.append({ kind: 'run.start', at: 0, track: 't', mode: 'async', trust_override: 'none', request: 'Plan it' });
    engine.append({ kind: 'command', at: 0, target: 'planner', event: { type: 'plan.approve' } });
    engine.append({ kind: 'plan.approved', at: 0, tickets: 1, title: 'A plan' });
    engine.append(status('T1', 'running'));
    expect(() => watch.check()).not.toThrow();
  });

  it('a planned run whose ticket starts before the plan is approved, or whose plan is approved by no one', () => {
    const early = monitor([]);
    early.engine.append({ kind: 'command', at: 0, target: 'conductor', event: { type: 'conductor.request', text: 'Plan it' } });
    early.engine.append(status('T1', 'running'));
    expect(() => early.monitor.check()).toThrow(/T1 became running before the plan was approved \(no ticket starts before the plan is approved\)/);
    const unasked = monitor([]);
    unasked.engine.append({ kind: 'run.start', at: 0, track: 't', mode: 'async', trust_override: 'none', request: 'Plan it' });
    unasked.engine.append({ kind: 'plan.approved', at: 0, tickets: 1, title: 'A plan' });
    expect(() => unasked.monitor.check()).toThrow(/the plan "A plan" was approved, but the human never sent plan\.approve/);
  });

  const verdict = (value: 'approve' | 'request_changes'): JournalEntry => ({ kind: 'review.verdict', at: 0, ticket: 'T1', attempt: 1, round: 1, verdict: value, comments: '' });
  const reviewed = () => monitor([{ ...ticket('T1'), worker_archetype: 'reviewed' }]);

  it('a reviewed ticket completes on its approve verdict, or on the human\'s, or skipped', () => {
    const { engine, monitor: watch } = reviewed();
    engine.append(status('T1', 'running'));
    engine.append(verdict('request_changes'));
    engine.append(status('T1', 'running'));
    engine.append(verdict('approve'));
    engine.append(status('T1', 'completed'));
    expect(() => watch.check()).not.toThrow();
    const human = reviewed();
    human.engine.append(status('T1', 'running'));
    human.engine.append({ kind: 'command', at: 0, target: 'ticket:T1', event: { type: 'xstate.done.actor.reviewer', output: { outcome: 'completed', summary: '', finished: { name: 'approve_change', input: {} } } } });
    human.engine.append(status('T1', 'completed'));
    expect(() => human.monitor.check()).not.toThrow();
  });

  it('a reviewed ticket that completes with no verdict, on a request for changes, or on the last attempt\'s approval', () => {
    const none = reviewed();
    none.engine.append(status('T1', 'running'));
    none.engine.append(status('T1', 'completed'));
    expect(() => none.monitor.check()).toThrow(/T1 completed \(attempt 1\) with no verdict \(a reviewed ticket completes only on an approve verdict, or a human's\)/);
    const changes = reviewed();
    changes.engine.append(status('T1', 'running'));
    changes.engine.append(verdict('approve'));
    changes.engine.append(verdict('request_changes'));
    changes.engine.append(status('T1', 'completed'));
    expect(() => changes.monitor.check()).toThrow(/T1 completed \(attempt 1\) on the verdict request_changes/);
    const stale = reviewed();
    stale.engine.append(status('T1', 'running'));
    stale.engine.append(verdict('approve'));
    stale.engine.append(status('T1', 'blocked', 'merge conflict'));
    stale.engine.append({ kind: 'ticket.status', at: 0, ticket: 'T1', status: 'running', attempt: 2 });
    stale.engine.append({ kind: 'ticket.status', at: 0, ticket: 'T1', status: 'completed', attempt: 2 });
    expect(() => stale.monitor.check()).toThrow(/T1 completed \(attempt 2\) with no verdict/);
    // An archetype without review completes on its worker's word.
    const plain = monitor();
    plain.engine.append(status('T1', 'running'));
    plain.engine.append(status('T1', 'completed'));
    expect(() => plain.monitor.check()).not.toThrow();
  });

  const qa = { archetype: 'qa', profile: 'p', system: '', trust: 'step' as const, rawLines: 4 };
  const hinted = { ...result, content: 'QA hint: fix it' };
  const hint = { tool_use_id: 'c1', hint: 'fix it', saved_tokens: 3 };

  it('a QA hint on step trust held at pause 2 and approved there, in an auto worker', () => {
    const { engine, monitor: watch } = monitor();
    engine.snapshot('model.reply', { toolCycle: 'executing' }, { trust: 'auto', qa });
    engine.snapshot('xstate.done.actor.tool', { toolCycle: 'qaHint' }, { trust: 'auto', qa, review: result });
    engine.snapshot('xstate.done.actor.qa', { toolCycle: 'reviewingResult' }, { trust: 'auto', qa, review: hinted, hint });
    // Switching the worker to auto again does not release it; the approve does.
    engine.snapshot('clutch.set_trust', { toolCycle: 'reviewingResult' }, { trust: 'auto', qa, review: hinted, hint });
    engine.snapshot('clutch.approve', 'prompting', { trust: 'auto', qa, hint, results: [], review: null, messages: [...asked, { role: 'user', content: [hinted] }] });
    expect(() => watch.check()).not.toThrow();
  });

  it('a QA hint on step trust that goes on without stopping at pause 2, or released by a switch that left it there', () => {
    const skipped = monitor();
    skipped.engine.snapshot('model.reply', { toolCycle: 'executing' }, { trust: 'auto', qa });
    skipped.engine.snapshot('xstate.done.actor.tool', { toolCycle: 'qaHint' }, { trust: 'auto', qa, review: result });
    skipped.engine.snapshot('xstate.done.actor.qa', 'prompting', { trust: 'auto', qa, hint, results: [], review: null, messages: [...asked, { role: 'user', content: [hinted] }] });
    expect(() => skipped.monitor.check()).toThrow(/the QA hint of c1 went on past pause 2 without stopping there \(a QA hint never reaches the model before pause 2 when the qa trust is step\)/);
    const request: RecordedRequest = { ticketId: 'T1', attempt: 1, messages: [...asked, { role: 'user', content: [hinted] }] };
    const switched = monitor([ticket('T1')], [request]);
    switched.engine.snapshot('model.reply', { toolCycle: 'executing' }, { trust: 'auto', qa });
    switched.engine.snapshot('xstate.done.actor.qa', { toolCycle: 'reviewingResult' }, { trust: 'auto', qa, review: hinted, hint });
    switched.engine.snapshot('clutch.set_trust', { toolCycle: 'reviewingResult' }, { trust: 'auto', qa, review: hinted, hint });
    expect(() => switched.monitor.check()).toThrow(/model request 1 \(T1 attempt 1\): the QA hint of c1 went on past pause 2 without an approve there/);
    // On auto qa trust the hint goes on like any result.
    const auto = monitor();
    auto.engine.snapshot('model.reply', { toolCycle: 'executing' }, { trust: 'auto', qa: { ...qa, trust: 'auto' } });
    auto.engine.snapshot('xstate.done.actor.qa', 'prompting', { trust: 'auto', qa: { ...qa, trust: 'auto' }, hint, results: [], review: null, messages: [...asked, { role: 'user', content: [hinted] }] });
    expect(() => auto.monitor.check()).not.toThrow();
  });

  it('an invalid plan edit that a planner at plan approval takes', () => {
    const { engine, monitor: watch } = monitor([]);
    engine.plannerSnapshot = { status: 'active', can: (event) => event.type === 'plan.edit' || event.type === 'plan.approve' };
    expect(() => watch.check()).not.toThrow();
    engine.acceptsEverything = true;
    expect(() => watch.check()).toThrow(/planner: an invalid plan\.edit \(a cycle, an unknown archetype\) was accepted \(an invalid plan edit changes nothing\)/);
    expect(watch.violations.join('\n')).toMatch(/planner: plan\.retry is refused by can\(\), yet the engine accepted it/);
  });
});

describe('the budget properties', () => {
  const stop: BudgetStop = { scope: 'ticket', ticket: 'T1', spent: { tokens: 12, cost_usd: 0 }, limits: { max_tokens: 10 }, reached: 'tokens', reason: 'T1 spent 12 tokens of its budget of 10 tokens' };
  const turn = (ticketId: string, tokens: number): JournalEntry => ({ kind: 'model.turn', at: 0, ticket: ticketId, attempt: 1, profile: 'p', stop_reason: 'end_turn', input_tokens: tokens, output_tokens: 0 });
  const paused = (reason = stop.reason): JournalEntry => ({ kind: 'budget.pause', at: 0, ticket: 'T1', attempt: 1, scope: 'ticket', reached: 'tokens', tokens: 12, cost_usd: 0, limits: { max_tokens: 10 }, reason });
  const atPause = (engine: FakeEngine) => {
    engine.workerSnapshot = { status: 'active', can: (event: { type: string }) => event.type === 'clutch.raise_budget' || event.type === 'clutch.abort', value: 'budgetPaused', context: { ...base, budget: stop } } as never;
  };

  it('replays the spend from the journal against the limits and the raises', () => {
    const config = {
      execution: { max_cost_per_run: 0.05 },
      agents: { a: { max_tokens_per_ticket: 10 } },
      models: { p: { provider: 'anthropic', input_price_per_mtok: 1000, output_price_per_mtok: 1000 } },
    };
    const archetypeOf = () => 'a';
    expect(spentBudgets([turn('T1', 5)], config, archetypeOf, 'T1')).toEqual([]);
    // A QA hint's and a review's tokens count for the ticket; another ticket's do not.
    expect(spentBudgets([turn('T1', 5), turn('T1@qa', 3), turn('T1@review', 2), turn('T2', 9)], config, archetypeOf, 'T1@review')).toEqual(['T1 spent 10 tokens of its budget of 10']);
    expect(spentBudgets([turn('T1', 12), { kind: 'budget.raised', at: 0, ticket: 'T1', scope: 'ticket', limits: { max_tokens: 13 } }], config, archetypeOf, 'T1')).toEqual([]);
    // The run's budget is a cost (a dollar per thousand tokens here): it stops the planner too.
    expect(spentBudgets([turn('T2', 50)], config, archetypeOf, '@plan')).toEqual(['the run spent $0.0500 of its budget of $0.0500']);
    expect(spentBudgets([turn('T2', 50), { kind: 'budget.raised', at: 0, ticket: 'T2', scope: 'run', limits: { max_cost: 1 } }], config, archetypeOf, '@plan')).toEqual([]);
    // A scripted profile costs nothing; one without prices has no known cost, which reaches no cost limit.
    expect(spentBudgets([turn('T2', 50)], { ...config, models: { p: { provider: 'scripted' } } }, archetypeOf, '@plan')).toEqual([]);
    expect(spentBudgets([turn('T2', 50)], { ...config, models: { p: { provider: 'anthropic' } } }, archetypeOf, '@plan')).toEqual([]);
  });

  it('a model turn asked while its budget is spent, per the journal', () => {
    const engine = new FakeEngine();
    (engine.options.config.agents as Record<string, object>)['a'] = { max_tokens_per_ticket: 10 };
    let heard: ((request: RecordedRequest) => void) | undefined;
    const requests: RecordedRequest[] = [];
    const watch = new Monitor({ engine: engine as unknown as Engine, requests, workspaces: () => [], tickets: [ticket('T1')], onRequest: (listener) => (heard = listener) });
    const ask = (ticketId: string) => {
      const request = { ticketId, attempt: 1, messages: [...asked, { role: 'user' as const, content: [result] }] };
      requests.push(request);
      heard!(request);
    };
    engine.append(turn('T1', 12));
    // A QA hint is part of the tool cycle: it is not checked.
    ask('T1@qa');
    expect(() => watch.check()).not.toThrow();
    ask('T1');
    expect(() => watch.check()).toThrow(/model request 2 \(T1 attempt 1\) was asked while T1 spent 12 tokens of its budget of 10 \(no model turn is asked while its budget is spent\)/);
  });

  it('a worker at its budget pause whose ticket is not step_paused', () => {
    const { engine, monitor: watch } = monitor();
    atPause(engine);
    engine.tickets = [{ ...ticket('T1'), status: 'step_paused' }];
    expect(() => watch.check()).not.toThrow();
    engine.tickets = [{ ...ticket('T1'), status: 'running' }];
    expect(() => watch.check()).toThrow(/T1 waits at its budget pause, but ticket T1 is running \(the ticket is step_paused while its worker is at the budget pause\)/);
  });

  it('a raise at the spend that the engine takes', () => {
    const { engine, monitor: watch } = monitor();
    atPause(engine);
    engine.tickets = [{ ...ticket('T1'), status: 'step_paused' }];
    engine.acceptsEverything = true;
    expect(() => watch.check()).toThrow(/worker:T1: a raise at the spend \(\{"type":"clutch.raise_budget","max_tokens":12\}\) was accepted at the budget pause \(a raise that does not lift the budget changes nothing\)/);
  });

  it('a raise that lets the next turn go, stopped on the same limit before any turn', () => {
    const { engine, monitor: watch } = monitor();
    engine.snapshot('model.over_budget', 'budgetPaused', { budget: stop, budgetPauses: 1 });
    engine.snapshot('clutch.raise_budget', 'prompting', { budget: null, budgetPauses: 1 });
    engine.snapshot('model.reply', 'route', {});
    engine.snapshot('model.over_budget', 'budgetPaused', { budget: stop, budgetPauses: 2 });
    expect(() => watch.check()).not.toThrow();
    engine.snapshot('worker.budget_raised', 'prompting', { budget: null, budgetPauses: 2 });
    engine.snapshot('model.over_budget', 'budgetPaused', { budget: stop, budgetPauses: 3 });
    expect(() => watch.check()).toThrow(/T1 attempt 1: a raise lifted the ticket budget \(tokens\), and the next turn stopped on it again before any turn spent more \(a raise the engine accepts lifts the budget it answers\)/);
  });

  it('an abort at the budget pause that loses the spend from the reason', () => {
    // The engine journals the ticket blocked before the worker's final snapshot is seen (its end reaches the ticket first).
    const aborted = (reason: string) => {
      const watched = monitor();
      watched.engine.append(paused());
      watched.engine.snapshot('model.over_budget', 'budgetPaused', { budget: stop, budgetPauses: 1 });
      watched.engine.append(status('T1', 'blocked', reason));
      watched.engine.snapshot('clutch.abort', 'aborted', { budget: stop, budgetPauses: 1 });
      return watched.monitor;
    };
    expect(() => aborted(`aborted by the human at the budget pause: ${stop.reason}`).check()).not.toThrow();
    expect(() => aborted('aborted by the human').check()).toThrow(/T1 was aborted at its budget pause \(T1 spent 12 tokens of its budget of 10 tokens\), but is blocked with "aborted by the human" \(an abort at the budget pause blocks the ticket with the spend as its reason\)/);
  });
});
