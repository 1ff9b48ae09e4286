import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isToolName, toolInputSchemas, type ToolUseBlock } from '../../src/protocol/index.js';
import { loadScript, type ReplyList, type Script } from '../../src/models/scripted.js';
import { checkPlan } from '../../src/config/check-plan.js';
import { loadConfig } from '../../src/config/index.js';

const demo = resolve(dirname(fileURLToPath(import.meta.url)), '../../demo');
const workspace = join(demo, 'workspace');

const trackFileSchema = z.object({
  track: z.object({ id: z.string(), title: z.string().min(1), description: z.string().min(1), workspace: z.string() }),
  tickets: z.array(
    z.object({
      id: z.string(),
      target_file: z.string(),
      prompt: z.string().min(1),
      worker_archetype: z.string(),
      dependencies: z.array(z.string()),
    }),
  ),
});

function readTrack(): z.infer<typeof trackFileSchema> {
  return trackFileSchema.parse(parse(readFileSync(join(demo, 'track.toml'), 'utf8')));
}

/** Every file under `dir`, relative path → content, to prove the tests leave demo/ untouched. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length), readFileSync(path, 'utf8'));
  }
  return files;
}

/** The one reply list per ticket that the demo uses (it has no per-attempt scripts). */
function replies(script: Script, id: string): ReplyList {
  const entry = script.tickets[id];
  if (!Array.isArray(entry)) throw new Error(`ticket ${id}: expected a plain list of replies`);
  return entry;
}

const toolUses = (list: ReplyList): ToolUseBlock[] =>
  list.flatMap((message) => message.content.filter((block): block is ToolUseBlock => block.type === 'tool_use'));

/** `node --test` as the sandbox would run it: no shell, the workspace as cwd, a clean test context. */
function runNode(argv: string[], cwd: string): { status: number | null; output: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const result = spawnSync(process.execPath, argv.slice(1), { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the demo track and its script', () => {
  let script: Script;
  const before = snapshot(demo);
  const { track, tickets } = readTrack();
  const temporary: string[] = [];

  const copyWorkspace = (): string => {
    const copy = mkdtempSync(join(tmpdir(), 'clutch-demo-'));
    temporary.push(copy);
    cpSync(workspace, copy, { recursive: true });
    return copy;
  };

  beforeAll(async () => {
    script = await loadScript(join(demo, 'script.json'));
  });

  afterAll(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
    expect(snapshot(demo)).toEqual(before);
  });

  it('has a track with a diamond of dependencies and at least two archetypes', () => {
    expect(track).toMatchObject({ id: 'demo', workspace: 'workspace' });
    const byId = new Map(tickets.map((ticket) => [ticket.id, ticket]));
    expect(byId.size).toBe(tickets.length);
    expect(tickets.length).toBeGreaterThanOrEqual(4);
    expect(byId.get('T1')?.dependencies).toEqual([]);
    expect(byId.get('T2')?.dependencies).toEqual(['T1']);
    expect(byId.get('T3')?.dependencies).toEqual(['T1']);
    expect([...(byId.get('T4')?.dependencies ?? [])].sort()).toEqual(['T2', 'T3']);
    const archetypes = new Set(tickets.map((ticket) => ticket.worker_archetype));
    expect(archetypes.size).toBeGreaterThanOrEqual(2);
    for (const archetype of archetypes) expect(['codegen', 'refactor', 'contract_stubber']).toContain(archetype);
    tickets.forEach((ticket, index) => {
      expect(existsSync(join(workspace, ticket.target_file))).toBe(true);
      // Track order is a valid run order: every dependency comes earlier.
      for (const dependency of ticket.dependencies) {
        expect(tickets.findIndex((other) => other.id === dependency)).toBeGreaterThanOrEqual(0);
        expect(tickets.findIndex((other) => other.id === dependency)).toBeLessThan(index);
      }
    });
  });

  it('scripts exactly the tickets of the track', () => {
    expect(Object.keys(script.tickets).sort()).toEqual(tickets.map((ticket) => ticket.id).sort());
  });

  it('calls only real tools, with inputs their schemas accept and unique ids', () => {
    const ids = new Set<string>();
    for (const ticket of tickets) {
      for (const block of toolUses(replies(script, ticket.id))) {
        expect(isToolName(block.name), `${block.id}: unknown tool ${block.name}`).toBe(true);
        if (!isToolName(block.name)) continue;
        const parsed = toolInputSchemas[block.name].safeParse(block.input);
        expect(parsed.success, `${block.id}: ${parsed.error?.message ?? ''}`).toBe(true);
        expect(ids.has(block.id), `duplicate id ${block.id}`).toBe(false);
        ids.add(block.id);
        const path = block.input.path;
        if (typeof path === 'string') {
          expect(isAbsolute(path) || normalize(path).startsWith('..'), `${block.id}: ${path}`).toBe(false);
        }
        if (block.name === 'run_command') expect((block.input.argv as string[])[0]).toBe('node');
      }
    }
  });

  it('ends every ticket with task_complete and shows text and parallel tool calls', () => {
    const all = tickets.flatMap((ticket) => replies(script, ticket.id));
    for (const ticket of tickets) {
      const list = replies(script, ticket.id);
      const last = list.at(-1)?.content.at(-1);
      expect(last).toMatchObject({ type: 'tool_use', name: 'task_complete' });
      // T2 goes on after its first task_complete when the planned demo's review asks for changes.
      expect(toolUses(list).filter((block) => block.name === 'task_complete')).toHaveLength(ticket.id === 'T2' ? 2 : 1);
      for (const message of list) {
        const at = message.content.findIndex((block) => block.type === 'tool_use' && block.name === 'task_complete');
        if (at >= 0) expect(at, 'task_complete is the last call of its reply').toBe(message.content.length - 1);
      }
      expect(toolUses(list).some((block) => block.name === 'run_command')).toBe(true);
    }
    expect(all.some((message) => message.content.filter((block) => block.type === 'tool_use').length >= 2)).toBe(true);
    expect(all.some((message) => message.content[0]?.type === 'text' && message.content.length > 1)).toBe(true);
  });

  it('starts from a failing test suite', () => {
    const { status, output } = runNode(['node', '--test'], copyWorkspace());
    expect(status, output).not.toBe(0);
    expect(output).toMatch(/not implemented/);
  });

  it('passes the whole suite once the script has run, with every ticket passing its own tests', () => {
    const copy = copyWorkspace();
    for (const ticket of tickets) {
      for (const block of toolUses(replies(script, ticket.id))) {
        const input = block.input as Record<string, unknown>;
        const file = typeof input.path === 'string' ? join(copy, input.path) : copy;
        switch (block.name) {
          case 'read_file':
            expect(existsSync(file), `${block.id}: ${String(input.path)} must exist`).toBe(true);
            break;
          case 'list_files':
          case 'search_files':
            expect(existsSync(file), `${block.id}: ${String(input.path)} must exist`).toBe(true);
            break;
          case 'write_file':
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, String(input.content));
            break;
          case 'edit_file': {
            const text = readFileSync(file, 'utf8');
            const oldString = String(input.old_string);
            expect(text.split(oldString).length - 1, `${block.id}: old_string must occur exactly once`).toBe(1);
            writeFileSync(file, text.replace(oldString, () => String(input.new_string)));
            break;
          }
          case 'run_command': {
            const { status, output } = runNode(input.argv as string[], copy);
            // The one command the script means to fail: the test T2 adds for its review, before the QA hint.
            if (block.id === 'toolu_T2_08') expect(status, `${block.id} must fail (the demo's QA hint)`).not.toBe(0);
            else expect(status, `${block.id} (${ticket.id}) failed:\n${output}`).toBe(0);
            break;
          }
          case 'task_complete':
            break;
          default:
            throw new Error(`${block.id}: the simulation does not know ${block.name}`);
        }
      }
    }
    const { status, output } = runNode(['node', '--test'], copy);
    expect(status, output).toBe(0);
    expect(output).toMatch(/# fail 0/);
  });

  it('plans the demo request: the pm proposes a valid plan of the same tickets; T2\'s review asks for changes once', async () => {
    const request = readFileSync(join(demo, 'request.txt'), 'utf8');
    const pm = script.agents?.pm?.requests?.find((rule) => request.toLowerCase().includes(rule.match.toLowerCase()));
    expect(pm, 'a pm rule matches demo/request.txt').toBeDefined();
    const proposal = toolUses(pm!.replies as ReplyList).find((block) => block.name === 'propose_track')!.input;
    const config = loadConfig(join(demo, '../agents.toml'));
    if (!config.ok) throw new Error('agents.toml');
    expect(checkPlan(proposal, { config: config.value, workspace, trackId: 'request' })).toMatchObject({ ok: true });
    const planned = (proposal as { tickets: { id: string; prompt: string }[] }).tickets;
    expect(planned.map((ticket) => ticket.id)).toEqual(tickets.map((ticket) => ticket.id));
    // The review rule matches the planned T2's prompt only, so the track's own demo is approved as before.
    const rule = script.agents?.tech_lead?.requests?.[0];
    expect(planned.find((ticket) => ticket.id === 'T2')!.prompt.toLowerCase()).toContain(rule!.match.toLowerCase());
    for (const ticket of tickets) expect(ticket.prompt.toLowerCase()).not.toContain(rule!.match.toLowerCase());
    const rounds = (rule!.replies as { attempts: ReplyList[] }).attempts.map((list) => toolUses(list)[0]!.name);
    expect(rounds).toEqual(['request_changes', 'approve_change']);
    expect(script.agents?.qa?.tickets?.['T2']).toBeDefined();
  });
});
