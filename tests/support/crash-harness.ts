/**
 * The crash loop shared by the crash test (bounded) and `npm run bench` (long): runs the demo with
 * a marker command in every ticket, SIGKILLs it at seeded moments, resumes it from the store after
 * each kill until it is done, then checks what a crash must never do.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RunStore } from '../../src/store/index.js';

const repo = resolve(import.meta.dirname, '../..');
const child = join(repo, 'tests/support/crash-child.ts');

export interface Fixture {
  root: string;
  track: string;
  config: string;
}

/**
 * The demo, where every ticket also runs `node mark.js ID` (one line per run, in marks/ID.txt: a file
 * of its own, so that tickets in their own worktrees never edit the same file) before it completes.
 */
export function buildFixture(root: string): Fixture {
  mkdirSync(root, { recursive: true });
  cpSync(join(repo, 'demo/workspace'), join(root, 'workspace'), { recursive: true });
  writeFileSync(join(root, 'workspace', 'mark.js'), "import { appendFileSync, mkdirSync } from 'node:fs';\nmkdirSync('marks', { recursive: true });\nappendFileSync('marks/' + process.argv[2] + '.txt', process.argv[2] + '\\n');\nconsole.log('marked', process.argv[2]);\n");
  const script = JSON.parse(readFileSync(join(repo, 'demo/script.json'), 'utf8')) as { tickets: Record<string, { role: string; content: unknown[] }[]> };
  for (const [ticket, replies] of Object.entries(script.tickets)) {
    const mark = (n: number) => ({ role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${ticket}_mark${n}`, name: 'run_command', input: { argv: ['node', 'mark.js', `${ticket}-${n}`] } }] });
    // Before the ticket's first task_complete (T2's replies go on after it, for a review that asks for changes).
    const completes = replies.findIndex((reply) => reply.content.some((block) => (block as { name?: string }).name === 'task_complete'));
    replies.splice(completes, 0, mark(1));
    replies.splice(1, 0, mark(0));
  }
  writeFileSync(join(root, 'script.json'), JSON.stringify(script, null, 2));
  const config = readFileSync(join(repo, 'agents.toml'), 'utf8').replace('script = "demo/script.json"', 'script = "script.json"');
  writeFileSync(join(root, 'agents.toml'), config);
  writeFileSync(join(root, 'track.toml'), readFileSync(join(repo, 'demo/track.toml'), 'utf8'));
  return { root, track: join(root, 'track.toml'), config: join(root, 'agents.toml') };
}

/** mulberry32: small, seeded, good enough to pick moments. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POINTS = [
  'tool.intent:run_command',
  'tool.ran:run_command',
  'tool.intent:edit_file',
  'tool.ran:edit_file',
  'tool.intent:write_file',
  'tool.ran:write_file',
  'commit.before',
  'commit.after',
  'command.applied:clutch.approve',
];

export interface Life {
  /** How this life ended: killed by a crash point, by the parent's timer, or it finished the run. */
  end: 'point' | 'timer' | 'done';
  kill?: string;
}

interface LifeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function live(args: string[], env: Record<string, string>, killAfterMs: number | undefined): Promise<LifeResult> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    let timer: NodeJS.Timeout | undefined;
    // The timer starts once the child has its run: the kill lands in the run, not in start-up.
    if (killAfterMs !== undefined) {
      proc.stdout.once('data', () => {
        timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      });
    }
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

export interface RunPlan {
  mode: 'async' | 'linear';
  trust: 'step' | 'auto';
  /** Kills to aim at this run (the run may finish first). */
  kills: number;
}

export interface RunReport {
  runId: string;
  plan: RunPlan;
  lives: Life[];
  workspace: string;
  acks: string[];
  marks: string[];
  outcome: { state: string; tickets: Record<string, string> };
  /** Rows of the run's journal, in order. */
  journal: { seq: number; entry: Record<string, unknown> }[];
  journalSeqs: number[];
}

/** One run from start to done, killed up to plan.kills times at seeded moments and resumed after each. */
export async function crashRun(fixture: Fixture, cwd: string, plan: RunPlan, random: () => number, log: (line: string) => void = () => {}): Promise<RunReport> {
  mkdirSync(cwd, { recursive: true });
  const acks = join(cwd, `acks-${Date.now()}-${Math.floor(random() * 1e9)}.txt`);
  writeFileSync(acks, '');
  const lives: Life[] = [];
  let runId: string | undefined;
  for (let attempt = 0; attempt < plan.kills + 20; attempt += 1) {
    const killing = lives.filter((life) => life.end !== 'done').length < plan.kills;
    const usePoint = killing && random() < 0.6;
    const point = usePoint ? `${POINTS[Math.floor(random() * POINTS.length)]}#${1 + Math.floor(random() * 4)}` : undefined;
    const timerMs = killing && !usePoint ? Math.floor(30 + random() * 900) : undefined;
    const args = ['--cwd', cwd, '--config', fixture.config, '--acks', acks, ...(runId ? ['--resume', runId] : ['--track', fixture.track, '--mode', plan.mode, '--trust', plan.trust])];
    const result = await live(args, point ? { CLUTCH_TEST_CRASH_AT: point } : {}, timerMs);
    const started = /^run (\S+)$/m.exec(result.stdout)?.[1];
    runId ??= started;
    const end = /^(\{"type":"end".*)$/m.exec(result.stdout)?.[1];
    if (end) {
      lives.push({ end: 'done' });
      log(`  life ${lives.length}: run ${runId} done`);
      return report(cwd, runId!, plan, lives, acks, JSON.parse(end).outcome);
    }
    if (result.signal !== 'SIGKILL') {
      throw new Error(`the child ended without finishing or being killed (code ${result.code}):\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-1000)}`);
    }
    const life: Life = { end: point ? 'point' : 'timer', kill: point ?? `${timerMs} ms` };
    lives.push(life);
    log(`  life ${lives.length}: killed at ${life.kill}${runId ? '' : ' before the run was created'}`);
  }
  throw new Error(`run ${runId} did not finish after ${lives.length} lives`);
}

function report(cwd: string, runId: string, plan: RunPlan, lives: Life[], acks: string, outcome: RunReport['outcome']): RunReport {
  const store = RunStore.open(join(cwd, '.clutch', 'clutch.db'));
  try {
    const rows = store.db.prepare('SELECT seq, entry FROM journal WHERE run_id = ? ORDER BY seq').all(runId) as { seq: number; entry: string }[];
    const record = store.run(runId)!;
    const marksDir = join(record.workspace, 'marks');
    return {
      runId,
      plan,
      lives,
      workspace: record.workspace,
      acks: readFileSync(acks, 'utf8').split('\n').filter(Boolean),
      marks: existsSync(marksDir)
        ? readdirSync(marksDir)
            .sort()
            .flatMap((name) => readFileSync(join(marksDir, name), 'utf8').split('\n').filter(Boolean))
        : [],
      outcome,
      journal: rows.map((row) => ({ seq: row.seq, entry: JSON.parse(row.entry) })),
      journalSeqs: rows.map((row) => row.seq),
    };
  } finally {
    store.close();
  }
}

/** Every file of a folder and its content, the marks and git's own folder aside. */
export function filesOf(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === '.git' || (dir === folder && name === 'marks')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(folder, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(folder);
  return out;
}

export interface Findings {
  /** Marker lines seen more than once: a command that ran twice. */
  duplicateMarks: string[];
  /** Acknowledged commands not in the journal exactly once. */
  lostOrRepeatedAcks: string[];
  /** Tool journal rows for the same call more than once. */
  duplicateToolRows: string[];
  /** Journal seqs that are not 1..N, and rows that are not whole JSON (a torn row). */
  journalGaps: number;
  interruptedPauses: number;
  reruns: number;
  usedOutput: number;
}

export function findings(run: RunReport): Findings {
  const count = <T>(items: T[]) => items.reduce((map, item) => map.set(item, (map.get(item) ?? 0) + 1), new Map<T, number>());
  const marks = count(run.marks);
  const commands = run.journal.filter(({ entry }) => entry['kind'] === 'command');
  const byRequest = count(commands.map(({ entry }) => String(entry['request_id'] ?? '')));
  const tools = count(run.journal.filter(({ entry }) => entry['kind'] === 'tool').map(({ entry }) => `${entry['ticket']}#${entry['attempt']}/${entry['tool_use_id']}`));
  const commandType = (type: string) => commands.filter(({ entry }) => (entry['event'] as { type?: string })?.type === type).length;
  return {
    duplicateMarks: [...marks].filter(([, n]) => n > 1).map(([mark]) => mark),
    lostOrRepeatedAcks: run.acks.filter((id) => byRequest.get(id) !== 1),
    duplicateToolRows: [...tools].filter(([, n]) => n > 1).map(([key]) => key),
    journalGaps: run.journalSeqs.filter((seq, index) => seq !== index + 1).length,
    interruptedPauses: run.journal.filter(({ entry }) => entry['kind'] === 'tool.interrupted').length,
    reruns: commandType('clutch.rerun'),
    usedOutput: commandType('clutch.use_output'),
  };
}
