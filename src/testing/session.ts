/**
 * One run of the real engine for one abstract path: a temp workspace, real tools, the scripted
 * model built for the path behind a model client the test holds, a clock wait the test ends, fault
 * sites, optionally a run store (in memory) whose ledger the tools really use, and the recorder and
 * monitor attached before anything starts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { GitWorkspaces, initRunRepository, type TicketWorkspaces } from '../actors/ticket-workspaces.js';
import { join } from 'node:path';
import { Engine } from '../actors/engine.js';
import type { JournalEntry } from '../actors/journal.js';
import { createScriptedModel, type Script } from '../models/scripted.js';
import { RunStore, type RunLog } from '../store/index.js';
import type { AgentArchetype, AssistantMessage, ClutchConfig, ExecutionMode, ModelProfile, ProposedTrack, Ticket, ToolUseBlock, TrustLevel } from '../protocol/index.js';
import { tempDir } from './fixtures.js';
import { ControlledModel, ControlledWaits, Faults } from './fakes.js';
import { Monitor } from './monitor.js';
import { Recorder } from './recorder.js';

export interface SessionOptions {
  tickets: Ticket[];
  /** Replies per ticket, one list per attempt. */
  replies: Record<string, AssistantMessage[][]>;
  trust: TrustLevel;
  maxTurns: number;
  maxConcurrency?: number;
  mode?: ExecutionMode;
  /** Puts the profile behind the engine's rate limiter, with at most this many requests in flight. */
  modelSlots?: number;
  /**
   * Budgets: the tickets' archetype's max_tokens_per_ticket, and [execution] max_cost_per_run. A
   * cost needs prices: with `maxCostPerRun` the profile is a priced one (one dollar per thousand
   * tokens), which puts it behind the engine's rate limiter too (with no limits, it grants at once).
   */
  budget?: { maxTokensPerTicket?: number; maxCostPerRun?: number };
  /**
   * Gives the engine a run store (SQLite in memory), as a real run has: the journal, snapshots and
   * tool intents are committed there, and side-effecting calls go through its ledger.
   */
  store?: boolean;
  /** "worktree": the workspace is the run's repository and the ticket works in its own worktree. */
  isolation?: 'worktree';
  /**
   * The tickets' archetype has its change reviewed (`review_by`) by the `reviewer` archetype, of
   * this trust, at most `maxRounds` times asking for changes. Its replies are keyed `ID@review`,
   * one list per review of the ticket.
   */
  review?: { trust: TrustLevel; maxRounds: number };
  /** The tickets' archetype has QA (`qa_by`) from the `qa` archetype, of this trust; its hints are keyed `ID@qa`. */
  qa?: { trust: TrustLevel };
  /**
   * The run begins from this request, with no tickets: the `pm` archetype (tier 1, auto) proposes
   * a plan, the `tech_lead` (tier 2, auto) checks it unless `lead` is false, and the human may send it
   * back `maxRounds` times. Their replies are keyed `@plan` and `@plan-review`, one list per run of each.
   */
  request?: { text: string; lead: boolean; maxRounds: number };
}

/** Armed at the merge-workspace site: the merge meets a real conflict (made just before it runs). */
export const MERGE_CONFLICT = Symbol('a real merge conflict');

/**
 * The real git worktrees, with faults where they start: a failed prepare, a failed merge, and a
 * conflict, made for real by changing one file both on the ticket's branch and on the integration
 * branch before the merge runs.
 */
class FaultyWorkspaces implements TicketWorkspaces {
  readonly runId: string;
  readonly #inner: GitWorkspaces;
  readonly #faults: Faults;
  readonly #workspace: string;

  constructor(inner: GitWorkspaces, faults: Faults, workspace: string) {
    this.#inner = inner;
    this.runId = inner.runId;
    this.#faults = faults;
    this.#workspace = workspace;
  }

  pathFor(ticketId: string) {
    return this.#inner.pathFor(ticketId);
  }
  readOnlyFor(ticketId: string) {
    return this.#inner.readOnlyFor(ticketId);
  }
  async prepare(ticketId: string, options: { fresh: boolean; attempt: number }) {
    this.#faults.strike('prepare-workspace');
    return this.#inner.prepare(ticketId, options);
  }
  async merge(ticketId: string, options: { attempt: number; summary: string }) {
    try {
      this.#faults.strike('merge-workspace');
    } catch (error) {
      if (error !== MERGE_CONFLICT) throw error;
      const name = `conflict-${options.attempt}.md`;
      writeFileSync(join(this.pathFor(ticketId), name), `the ticket's line\n`);
      writeFileSync(join(this.#workspace, name), `the integration branch's line\n`);
      const git = (cwd: string, ...args: string[]) =>
        execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd, stdio: 'ignore' });
      git(this.#workspace, 'add', name);
      git(this.#workspace, 'commit', '-q', '-m', 'a change that conflicts');
    }
    return this.#inner.merge(ticketId, options);
  }
  async ticketDiff(ticketId: string) {
    this.#faults.strike('review-diff');
    return this.#inner.ticketDiff(ticketId);
  }
  runDiff() {
    return this.#inner.runDiff();
  }
  remove() {
    return this.#inner.remove();
  }
}

/** An archetype of the run; its sandbox settings are looked up where a fault can strike (every tool run and preview). */
function archetype(faults: Faults, settings: Pick<AgentArchetype, 'tier' | 'trust_level' | 'tools' | 'max_turns'> & Partial<AgentArchetype>): AgentArchetype {
  const agent = {
    model: 'scripted',
    system_prompt: `You are a model-based test agent of tier ${settings.tier}.`,
    command_timeout_s: 30,
    ...settings,
  };
  return Object.defineProperty(agent, 'allowed_commands', {
    enumerable: true,
    get: () => {
      faults.strike('tool-context');
      return ['node'];
    },
  }) as AgentArchetype;
}

/** The run's one model profile: scripted, or (rate-limited, priced) an anthropic one the held scripted client plays. */
function profile(options: SessionOptions): ModelProfile {
  const priced = options.budget?.maxCostPerRun !== undefined;
  if (!options.modelSlots && !priced) return { provider: 'scripted', script: 'script.json' };
  return {
    provider: 'anthropic',
    model: 'scripted',
    ...(options.modelSlots ? { max_concurrency: options.modelSlots } : {}),
    ...(priced ? { input_price_per_mtok: 1000, output_price_per_mtok: 1000 } : {}),
  };
}

/** The run's archetypes: `codegen` carries out the tickets; the others plan, review and hint as the options ask. */
function archetypes(options: SessionOptions, faults: Faults): Record<string, AgentArchetype> {
  const agents: Record<string, AgentArchetype> = {
    codegen: archetype(faults, {
      tier: 3,
      trust_level: options.trust,
      tools: ['read_file', 'write_file', 'edit_file', 'run_command', 'task_complete'],
      max_turns: options.maxTurns,
      ...(options.review ? { review_by: 'reviewer' } : {}),
      ...(options.qa ? { qa_by: 'qa' } : {}),
      ...(options.budget?.maxTokensPerTicket !== undefined ? { max_tokens_per_ticket: options.budget.maxTokensPerTicket } : {}),
    }),
  };
  if (options.review) agents['reviewer'] = archetype(faults, { tier: 2, trust_level: options.review.trust, tools: ['read_file', 'list_files'], max_turns: options.maxTurns });
  if (options.qa) agents['qa'] = archetype(faults, { tier: 4, trust_level: options.qa.trust, tools: [], max_turns: 1 });
  if (options.request) {
    agents['pm'] = archetype(faults, { tier: 1, trust_level: 'auto', tools: ['read_file', 'list_files'], max_turns: options.maxTurns });
    if (options.request.lead) agents['tech_lead'] = archetype(faults, { tier: 2, trust_level: 'auto', tools: ['read_file', 'list_files'], max_turns: options.maxTurns });
  }
  return agents;
}

export class Session {
  readonly engine: Engine;
  readonly model: ControlledModel;
  readonly waits = new ControlledWaits();
  readonly faults = new Faults();
  readonly journal: JournalEntry[] = [];
  readonly recorder: Recorder;
  readonly monitor: Monitor;
  readonly workspace: string;
  /** The run's record in the store, when the session has one. */
  readonly log: RunLog | undefined;
  /** Commits to the store that failed; a path fails on the first. */
  readonly storeErrors: unknown[] = [];
  readonly #store: RunStore | undefined;
  readonly #root: string;

  constructor(options: SessionOptions) {
    this.#root = tempDir('clutch-model-');
    this.workspace = join(this.#root, 'workspace');
    const runDir = join(this.#root, 'run');
    mkdirSync(this.workspace);
    mkdirSync(runDir);
    const script: Script = {
      version: 1,
      tickets: Object.fromEntries(Object.entries(options.replies).map(([id, attempts]) => [id, { attempts: attempts.length ? attempts : [[]] }])),
    } as Script;
    this.model = new ControlledModel(createScriptedModel({ script, chunkSize: 0 }));
    const config: ClutchConfig = {
      source: '/virtual/agents.toml',
      execution: {
        mode: options.mode ?? 'async',
        max_concurrency: options.maxConcurrency ?? 4,
        trust_override: 'none',
        debug_state_path: 'debug_state.json',
        ...(options.review ? { max_review_rounds: options.review.maxRounds } : {}),
        ...(options.request ? { max_plan_rounds: options.request.maxRounds } : {}),
        qa_raw_lines: 4,
        ...(options.budget?.maxCostPerRun !== undefined ? { max_cost_per_run: options.budget.maxCostPerRun } : {}),
      },
      // The engine builds a rate limiter for anthropic profiles only; the client stays the held scripted one.
      models: { scripted: profile(options) },
      agents: archetypes(options, this.faults),
    };
    if (options.store) {
      this.#store = RunStore.open(':memory:');
      this.log = this.#store.createRun({
        id: 'model-run',
        track_id: 'model',
        track_title: 'Model-based test',
        track_path: '/virtual/track.toml',
        track_hash: '',
        config_path: config.source,
        config_hash: '',
        source_workspace: this.workspace,
        run_dir: runDir,
        workspace: this.workspace,
        options: { trust: options.trust },
        tickets_total: options.tickets.length,
        created: 0,
      });
    }
    let tick = 0;
    let workspaces: FaultyWorkspaces | undefined;
    if (options.isolation === 'worktree') {
      initRunRepository(this.workspace, runDir, 'model-run');
      workspaces = new FaultyWorkspaces(new GitWorkspaces({ workspace: this.workspace, runDir, runId: 'model-run' }), this.faults, this.workspace);
    }
    this.engine = new Engine({
      config,
      track: { id: 'model', title: 'Model-based test', description: '', status: 'pending', tickets: options.tickets },
      workspace: this.workspace,
      runDir,
      modelFor: () => {
        this.faults.strike('model');
        return this.model;
      },
      ...(options.request ? { request: { text: options.request.text } } : {}),
      now: () => tick++,
      waitUntil: this.waits.waitUntil,
      secrets: [],
      ...(workspaces ? { workspaces } : {}),
      ...(this.log ? { log: this.log, onStoreError: (error: unknown) => this.storeErrors.push(error) } : {}),
    });
    this.engine.journal.subscribe((entry) => this.journal.push(entry));
    this.recorder = new Recorder(this.engine);
    const folders = () => [this.workspace, ...options.tickets.map((ticket) => workspaces?.pathFor(ticket.id)).filter((folder): folder is string => folder !== undefined && existsSync(folder))];
    // A run begun from a request has the plan's tickets once the human approved it.
    this.monitor = new Monitor({
      engine: this.engine,
      requests: this.model.requests,
      workspaces: folders,
      tickets: () => this.engine.track().tickets,
      onRequest: (listener) => this.model.onRequest(listener),
    });
  }

  /** Sends a human command through the engine; the abstract model said the actor accepts it. */
  command(...args: Parameters<Engine['command']>): void {
    if (!this.engine.command(...args)) throw new Error(`the engine refused ${JSON.stringify(args)}`);
  }

  async dispose(): Promise<void> {
    try {
      await this.engine.stop();
    } finally {
      this.#store?.close();
      rmSync(this.#root, { recursive: true, force: true });
    }
  }
}

export const text = (value: string) => ({ type: 'text' as const, text: value });
export const toolUse = (id: string, name: string, input: Record<string, unknown>): ToolUseBlock => ({ type: 'tool_use', id, name, input });
export const assistant = (...content: AssistantMessage['content']): AssistantMessage => ({ role: 'assistant', content });

/**
 * A command that appends `content` to `<file>` in the workspace (node is the archetype's only
 * allowed command): the file shows whether and how often it ran.
 */
function writingCommand(file: string, content: string, exitCode = 0): string[] {
  return ['node', '-e', `require('node:fs').appendFileSync(${JSON.stringify(file)}, ${JSON.stringify(content)})${exitCode ? `; process.exit(${exitCode})` : ''}`];
}

/**
 * What a scripted call does: write a file, fail (a tool error result), task_complete, run a command,
 * run a command that fails (`red`: it writes its file, then exits 3), or a reviewer's verdict.
 */
export type ScriptedKind = 'write' | 'fail' | 'done' | 'run' | 'red' | 'verdict' | 'changes';

/** A scripted call of each kind; write, run and red calls write `<id>.txt`, which the monitor checks. */
export function scriptedCall(kind: ScriptedKind, id: string): ToolUseBlock {
  if (kind === 'write') return toolUse(id, 'write_file', { path: `${id}.txt`, content: `${id}\n` });
  if (kind === 'fail') return toolUse(id, 'read_file', { path: `missing-${id}.md` });
  if (kind === 'run') return toolUse(id, 'run_command', { argv: writingCommand(`${id}.txt`, `${id} ran\n`) });
  if (kind === 'red') return toolUse(id, 'run_command', { argv: writingCommand(`${id}.txt`, `${id} ran and failed\n`, 3) });
  if (kind === 'verdict') return toolUse(id, 'approve_change', { comment: `approved in ${id}` });
  if (kind === 'changes') return toolUse(id, 'request_changes', { comments: `changes asked in ${id}` });
  return toolUse(id, 'task_complete', { summary: `finished after ${id}` });
}

/** The qa archetype's reply to a failing command: its hint. */
export const QA_REPLY = assistant(text('The command exits 3 on purpose: do not run it again, write the file instead.'));

/** A planner agent's call: the pm's proposal or the tech lead's revision of `plan`. */
export function planCall(kind: 'propose' | 'revise', id: string, plan: ProposedTrack): ToolUseBlock {
  return kind === 'propose' ? toolUse(id, 'propose_track', plan) : toolUse(id, 'revise_track', { ...plan, note: `revised in ${id}` });
}

/** Valid and refused replacement inputs for a call, for `clutch.edit_payload`. */
export function payloadFor(call: ToolUseBlock, valid: boolean): unknown {
  if (!valid) return { path: 42 };
  if (call.name === 'write_file') return { path: `${call.id}.txt`, content: 'edited by the human\n' };
  if (call.name === 'read_file') return { path: `missing-edited-${call.id}.md` };
  // A failing command stays failing: the edit changes what it writes, not whether QA sees it.
  if (call.name === 'run_command') return { argv: writingCommand(`${call.id}.txt`, 'edited by the human\n', JSON.stringify(call.input).includes('process.exit') ? 3 : 0) };
  if (call.name === 'approve_change') return { comment: 'approved as the human edited it' };
  if (call.name === 'request_changes') return { comments: 'changes as the human edited them' };
  return { summary: 'summary edited by the human' };
}
