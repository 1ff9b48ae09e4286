/**
 * `npm run test:mutations`: applies each mutation of tests/model/mutations.md to a temp copy of the
 * repo (node_modules symlinked), runs the model-based suite there (`npx vitest run tests/model`),
 * and prints which suites caught it. A row is caught when the suite fails and the failure names the
 * property the row expects; the script exits non-zero when any row survives or a snippet is gone.
 * Not part of `npm test`: it runs the whole model suite once per row, plus once unchanged.
 *
 *   npx tsx tests/model/mutations.ts [--only a,c]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Edit {
  file: string;
  find: string;
  replace: string;
}

export interface Mutation {
  id: string;
  what: string;
  edits: Edit[];
  /** Text the failures must contain: the property (or the drift) that is meant to catch it. */
  expect: string;
}

export const MUTATIONS: Mutation[] = [
  {
    id: 'a',
    what: 'edit_payload does not rewrite the tool_use block',
    edits: [{ file: 'src/machines/worker-context.ts', find: 'messages: replaceLast(context.messages, withCallInput(message, call.id, checked.value)),', replace: 'messages: context.messages,' }],
    expect: 'the model sees the tool_use that really ran',
  },
  {
    id: 'b',
    what: 'a payload edit rewrites every call in the message',
    edits: [{ file: 'src/machines/transcript.ts', find: "block.type === 'tool_use' && block.id === toolUseId ? { ...block, input } : block", replace: "block.type === 'tool_use' ? { ...block, input } : block" }],
    expect: 'an edit changes only its own call',
  },
  {
    id: 'c',
    what: 'a mode switch mid-run does not dispatch',
    edits: [{ file: 'src/machines/conductor.ts', find: "'conductor.set_mode': { guard: 'modeChanges', actions: 'dispatch' },", replace: "'conductor.set_mode': { guard: 'modeChanges', actions: [] }," }],
    expect: 'a mode switch dispatches at once',
  },
  {
    id: 'd',
    what: 'Engine.command skips snapshot.can',
    edits: [{ file: 'src/actors/command-checks.ts', find: "if (snapshot.status !== 'active' || !snapshot.can(event)) return", replace: "if (snapshot.status !== 'active') return" }],
    expect: 'a command that can() refuses changes nothing',
  },
  {
    id: 'e',
    what: 'skip does not mark the ticket skipped',
    edits: [{ file: 'src/machines/ticket.ts', find: "'ticket.skip': { target: 'completed', actions: assign({ skipped: true }) },", replace: "'ticket.skip': { target: 'completed' }," }],
    expect: 'a skipped ticket is reported as skipped',
  },
  {
    id: 'f',
    what: 'approve at pause 2 goes to resultsReady (a changed target)',
    edits: [{ file: 'src/machines/worker-tool-cycle.ts', find: "'clutch.approve': { target: 'nextCall', actions: 'commitReview' },", replace: "'clutch.approve': { target: '#worker.resultsReady', actions: 'commitReview' }," }],
    expect: 'on toolCycle.reviewingResult clutch.approve: the table says → toolCycle.nextCall; the machine has → resultsReady',
  },
  {
    id: 'g',
    what: 'reviewingResult renamed to checkingResult (a renamed state)',
    edits: [
      { file: 'src/machines/worker-tool-cycle.ts', find: "{ guard: 'isStep', target: 'reviewingResult' }", replace: "{ guard: 'isStep', target: 'checkingResult' }" },
      { file: 'src/machines/worker-tool-cycle.ts', find: "{ guard: 'qaStep', target: 'reviewingResult', actions: 'applyHint' }", replace: "{ guard: 'qaStep', target: 'checkingResult', actions: 'applyHint' }" },
      { file: 'src/machines/worker-tool-cycle.ts', find: '    reviewingResult: {', replace: '    checkingResult: {' },
    ],
    expect: 'state toolCycle.reviewingResult: in the table, missing from the machine',
  },
  {
    id: 'h',
    what: 'a review that ends without an approve completes the ticket',
    edits: [{ file: 'src/machines/ticket.ts', find: "approved: ({ event }) => verdictIs(event, 'approve'),", replace: "approved: ({ event }) => event.type === reviewerDone && event.output.outcome === 'completed'," }],
    expect: 'a reviewed ticket completes only on an approve verdict',
  },
  {
    id: 'i',
    what: 'a QA hint on step qa trust does not stop at pause 2',
    edits: [{ file: 'src/machines/worker-setup.ts', find: 'qaStep: ({ context }) => qaStepFor(context),', replace: 'qaStep: () => false,' }],
    expect: 'a QA hint never reaches the model before pause 2 when the qa trust is step',
  },
  {
    id: 'j',
    what: "the tech lead's revision is approved without the human",
    edits: [{ file: 'src/machines/planner.ts', find: "{ guard: 'revised', target: 'awaitingApproval', actions: ['recordRevision', 'stopLead'] },", replace: "{ guard: 'revised', target: 'approved', actions: ['recordRevision', 'stopLead'] }," }],
    expect: 'no ticket starts before the plan is approved',
  },
  {
    id: 'k',
    what: 'a plan edit is not checked like a track file',
    edits: [{ file: 'src/actors/command-checks.ts', find: "if (event.type === 'plan.edit') {", replace: "if (event.type === 'plan.edit' && false) {" }],
    expect: 'an invalid plan edit changes nothing',
  },
  {
    id: 'l',
    what: 'a raise at the budget pause does not leave it',
    edits: [
      {
        file: 'src/machines/worker.ts',
        find: "'clutch.raise_budget': { target: 'prompting', actions:",
        replace: "'clutch.raise_budget': { actions:",
      },
    ],
    expect: 'on budgetPaused clutch.raise_budget: the table says → prompting; the machine has → —',
  },
  {
    id: 'm',
    what: "a raise of the ticket's budget is journaled but not applied",
    edits: [{ file: 'src/actors/budgets.ts', find: 'this.#raised.set(ticketId, { ...this.#raised.get(ticketId), ...limits });', replace: 'void ticketId;' }],
    expect: 'a raise the engine accepts lifts the budget it answers',
  },
  {
    id: 'n',
    what: "an abort at the budget pause loses the budget's reason",
    edits: [{ file: 'src/machines/worker.ts', find: 'reason: context.budget.stop ? `${said} at the budget pause: ${context.budget.stop.reason}` : said };', replace: 'reason: said };' }],
    expect: 'an abort at the budget pause blocks the ticket with the spend as its reason',
  },
  {
    id: 'o',
    what: 'the budget pause does not tell its ticket',
    edits: [{ file: 'src/machines/worker.ts', find: "entry: { type: 'tellTicket', params: { type: 'worker.paused', pause: 'budget' } },", replace: '' }],
    expect: 'the ticket is step_paused while its worker is at the budget pause',
  },
  {
    id: 'p',
    what: 'the model actor does not check the budget',
    edits: [{ file: 'src/actors/io-actors.ts', find: 'const stop = deps.budgetCheck?.(input.ticketId);', replace: 'const stop: BudgetStop | undefined = undefined;' }],
    expect: 'no model turn is asked while its budget is spent',
  },
  {
    id: 'q',
    what: 'the engine takes a raise that does not lift the limit',
    edits: [{ file: 'src/actors/engine.ts', find: "const problem = budget ? raiseProblem(budget, event) : 'is not at a budget pause';", replace: "const problem = budget ? null : 'is not at a budget pause';" }],
    expect: 'a raise that does not lift the budget changes nothing',
  },
];

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SKIP = new Set(['node_modules', '.git', 'dist', '.clutch', 'test-results']);

/** A copy of the repo without node_modules (symlinked) and build output. */
function copyRepo(): string {
  const copy = mkdtempSync(join(tmpdir(), 'clutch-mutant-'));
  cpSync(ROOT, copy, { recursive: true, filter: (source) => !SKIP.has(relative(ROOT, source).split(/[\\/]/)[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

function apply(copy: string, edit: Edit): void {
  const path = join(copy, edit.file);
  if (!existsSync(path)) throw new Error(`mutation file ${edit.file} does not exist`);
  const text = readFileSync(path, 'utf8');
  const count = text.split(edit.find).length - 1;
  if (count !== 1) throw new Error(`the snippet to mutate is found ${count} times in ${edit.file} (must be exactly once):\n  ${edit.find}`);
  writeFileSync(path, text.replace(edit.find, edit.replace));
}

interface SuiteResult {
  failed: boolean;
  /** Test files with a failing test, relative to the repo. */
  files: string[];
  messages: string;
}

interface VitestJson {
  testResults: Array<{ name: string; status: string; message?: string; assertionResults: Array<{ status: string; fullName: string; failureMessages: string[] }> }>;
}

function runModelSuite(copy: string): SuiteResult {
  const output = join(copy, 'mutation-result.json');
  const run = spawnSync('npx', ['vitest', 'run', 'tests/model', '--reporter=json', `--outputFile=${output}`], { cwd: copy, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  if (!existsSync(output)) throw new Error(`vitest wrote no results (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  const results = JSON.parse(readFileSync(output, 'utf8')) as VitestJson;
  const failing = results.testResults.filter((file) => file.status !== 'passed');
  const messages = failing.flatMap((file) => [file.message ?? '', ...file.assertionResults.flatMap((test) => test.failureMessages)]).join('\n');
  return { failed: run.status !== 0, files: failing.map((file) => relative(copy, file.name)), messages };
}

function main(): number {
  const only = process.argv.includes('--only') ? new Set(process.argv[process.argv.indexOf('--only') + 1]!.split(',')) : undefined;
  const mutations = MUTATIONS.filter((mutation) => !only || only.has(mutation.id));
  console.log('unchanged copy first: the model suite must pass there…');
  const baseline = copyRepo();
  try {
    const result = runModelSuite(baseline);
    if (result.failed) {
      console.error(`the unchanged copy fails the model suite (${result.files.join(', ')}): no mutation can be judged\n${result.messages.slice(0, 3000)}`);
      return 1;
    }
  } finally {
    rmSync(baseline, { recursive: true, force: true });
  }
  const rows: string[][] = [];
  let survived = 0;
  for (const mutation of mutations) {
    const copy = copyRepo();
    try {
      for (const edit of mutation.edits) apply(copy, edit);
      process.stdout.write(`${mutation.id}. ${mutation.what}… `);
      const result = runModelSuite(copy);
      const named = result.messages.includes(mutation.expect);
      const verdict = result.failed && named ? 'caught' : result.failed ? 'caught, but not by the expected property' : 'SURVIVED';
      if (verdict !== 'caught') survived += 1;
      console.log(verdict);
      // What did fail, so that a row caught elsewhere (or a suite that broke) can be read here.
      if (verdict !== 'caught') console.log(`  ${result.messages.split('\n').filter((text) => text.trim() !== '').slice(0, 12).join('\n  ')}`);
      rows.push([mutation.id, mutation.what, [...new Set(mutation.edits.map((edit) => edit.file))].join(', '), result.files.join(', ') || '—', verdict]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  const header = ['', 'mutation', 'file', 'failing suites (tests/model)', 'verdict'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(`\n${line(header)}\n${line(widths.map((width) => '-'.repeat(width)))}\n${rows.map(line).join('\n')}`);
  console.log(survived === 0 ? `\nall ${rows.length} mutations caught` : `\n${survived} of ${rows.length} mutations not caught as expected`);
  return survived === 0 ? 0 : 1;
}

process.exitCode = main();
