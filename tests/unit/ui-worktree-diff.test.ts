import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ActorView, DiffView } from '../../src/protocol/wire.js';
import { App } from '../../src/ui/components/App.js';
import { UNSANDBOXED_TITLE } from '../../src/ui/components/GlobalBar.js';
import { DiffPanel, PatchView } from '../../src/ui/components/PatchView.js';
import { WorkerPanel } from '../../src/ui/components/WorkerPanel.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { OneAtATime } from '../../src/ui/one-at-a-time.js';
import { conflictFilesOf, parsePatch, unquotePath } from '../../src/ui/patch.js';
import { createStaticClient, SHARED_DIFF_REFUSAL, type Fixture } from '../../src/ui/static-client.js';
import type { ConductorView, TicketView } from '../../src/ui/views.js';

/**
 * The web app's part of worktree isolation and the sandbox, drawn from the fixture (T1 done,
 * T2 at pause 1, T3 blocked, T4 waiting) with no engine behind it: the red unsandboxed badge, the
 * isolation mode, ticket and run diffs (file list, coloured patch, the cut, the refusal of a shared
 * run) and a merge conflict's reason on the card and in the panel.
 */
const fixturePath = resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json');
const fixture = (): Fixture => JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

function within(data: Fixture, element: ReturnType<typeof createElement>): string {
  return renderToStaticMarkup(createElement(ClientContext.Provider, { value: createStaticClient(data) }, element));
}

const testIds = (html: string) => new Set([...html.matchAll(/data-testid="([^"]+)"/g)].map((match) => match[1]!));

const withHello = (data: Fixture, change: Partial<Fixture['hello']>): Fixture => ({ ...data, hello: { ...data.hello, ...change } });

function withView<Context>(data: Fixture, key: string, change: (view: ActorView<Context>) => ActorView<Context>): Fixture {
  return { ...data, actors: data.actors.map((view) => (view.key === key ? (change(view as ActorView<Context>) as ActorView) : view)) };
}

/** The blocked reason the ticket machine gives a merge conflict. */
const conflictReason = (files: string) =>
  `merge conflict with clutch/20261122-232844/integration in ${files}; retry runs the ticket again on a fresh worktree from the current integration branch`;

/** T3 blocked by a merge conflict, as the conductor and its ticket actor have it. */
function T3conflict(data: Fixture, files: string): Fixture {
  const reason = conflictReason(files);
  const blocked = withView<ConductorView>(data, 'conductor', (view) => ({
    ...view,
    context: { ...view.context, tickets: view.context.tickets.map((info, index) => (index === 2 ? { ...info, blocked_reason: reason } : info)) },
  }));
  return withView<TicketView>(blocked, 'ticket:T3', (view) => ({ ...view, context: { ...view.context, blocked_reason: reason } }));
}

const patch = [
  'diff --git a/notes.md b/notes.md',
  'index 1111111..2222222 100644',
  '--- a/notes.md',
  '+++ b/notes.md',
  '@@ -1,4 +1,4 @@',
  ' # Notes',
  '--- a list item that starts with two dashes',
  '+-- a list item, edited',
  '++ kept',
  ' end',
  '\\ No newline at end of file',
  'diff --git a/old name.txt b/new name.txt',
  'similarity index 90%',
  'rename from old name.txt',
  'rename to new name.txt',
  'diff --git a/gone.txt b/gone.txt',
  'deleted file mode 100644',
  'index 3333333..0000000',
  '--- a/gone.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-bye',
  'diff --git "a/sp\\303\\251cial.txt" "b/sp\\303\\251cial.txt"',
  'new file mode 100644',
  '--- /dev/null',
  '+++ "b/sp\\303\\251cial.txt"',
  '@@ -0,0 +1 @@',
  '+é',
  '',
].join('\n');

describe('a git patch, split for drawing', () => {
  it('classifies lines by where they are: a removed line starting with "--" is a removal, not a header', () => {
    const parsed = parsePatch(patch);
    expect(parsed.files.map((file) => file.path)).toEqual(['notes.md', 'new name.txt', 'gone.txt', 'spécial.txt']);
    const notes = parsed.files[0]!;
    expect(notes.runs.map((run) => run.kind)).toEqual(['meta', 'hunk', 'context', 'del', 'add', 'context', 'note']);
    expect(notes.runs[3]!.text).toBe('--- a list item that starts with two dashes');
    // Lines of one kind in a row are one run.
    expect(notes.runs[4]!.text).toBe('+-- a list item, edited\n++ kept');
    expect([notes.added, notes.removed]).toEqual([2, 1]);
    expect([parsed.added, parsed.removed]).toEqual([3, 2]);
    expect(parsed.files[2]!.runs.map((run) => run.kind)).toEqual(['meta', 'hunk', 'del']);
    expect(unquotePath('"tab\\there"')).toBe('tab\there');
  });

  it('keeps the cut marker of a truncated patch as a note, and an empty patch is no file at all', () => {
    const cut = parsePatch('diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n+y\n… diff cut at 524288 bytes\n');
    expect(cut.files[0]!.runs.at(-1)).toEqual({ kind: 'note', text: '… diff cut at 524288 bytes' });
    expect(parsePatch('')).toEqual({ files: [], added: 0, removed: 0, lines: 0 });
  });

  it('reads the conflicting files from a merge conflict reason, and nothing from another reason', () => {
    expect(conflictFilesOf(conflictReason('shared.txt'))).toEqual(['shared.txt']);
    expect(conflictFilesOf(conflictReason('a.txt, src/b c.js'))).toEqual(['a.txt', 'src/b c.js']);
    expect(conflictFilesOf('merge conflict with clutch/r/integration in x.txt')).toEqual(['x.txt']);
    expect(conflictFilesOf('aborted by the human')).toBeNull();
    expect(conflictFilesOf(null)).toBeNull();
  });

  it('draws a 512 KB patch as one block per run of lines, not one element per line', () => {
    // Hunks as an agent's edits make them: a few lines replaced by a few more, between context.
    const hunk = (n: number) =>
      [`@@ -${n},11 +${n},14 @@`, ...[1, 2, 3].map((k) => ` context ${k}`), ...[1, 2, 3, 4, 5].map((k) => `-old ${'x'.repeat(40)} ${n}.${k}`), ...[1, 2, 3, 4, 5, 6, 7, 8].map((k) => `+new ${'y'.repeat(40)} ${n}.${k}`), ...[4, 5, 6].map((k) => ` context ${k}`)].join('\n');
    const files: string[] = [];
    let size = 0;
    for (let file = 0; size < 512 * 1024; file += 1) {
      const text = [`diff --git a/f${file}.txt b/f${file}.txt`, 'index 1..2 100644', `--- a/f${file}.txt`, `+++ b/f${file}.txt`, ...Array.from({ length: 40 }, (_, n) => hunk(n * 10))].join('\n');
      files.push(text);
      size += text.length + 1;
    }
    const big = `${files.join('\n')}\n`;
    const started = performance.now();
    const parsed = parsePatch(big);
    const parseMs = performance.now() - started;
    const lines = parsed.lines;
    const diff: DiffView = { ticket: 'T1', patch: big, files: parsed.files.map((file) => ({ path: file.path, status: 'M' })), base: 'a'.repeat(40), head: 'b'.repeat(40), truncated: true };
    const rendered = performance.now();
    const html = within(fixture(), createElement(PatchView, { diff, empty: 'none' }));
    const renderMs = performance.now() - rendered;
    const blocks = html.match(/class="patch-run /g)?.length ?? 0;
    // Every hunk is 5 runs (hunk, context, del, add, context) of its 20 lines; each file adds its header.
    expect(blocks).toBe(parsed.files.reduce((total, file) => total + file.runs.length, 0));
    expect(blocks).toBeLessThan(lines / 3);
    expect(parsed.added).toBe(parsed.files.length * 40 * 8);
    expect(html).toContain('data-testid="patch-truncated"');
    console.info(`patch of ${Math.round(big.length / 1024)} KB, ${lines} lines, ${parsed.files.length} files: parsed in ${parseMs.toFixed(1)} ms, ${blocks} blocks rendered in ${renderMs.toFixed(0)} ms`);
  });
});

describe('diff calls, one at a time', () => {
  /** A call the test answers when it likes. */
  function deferred() {
    let answer!: (value: string) => void;
    const promise = new Promise<string>((resolve) => (answer = resolve));
    return { promise, answer };
  }

  it('sends a question asked during a call only after it, skips the ones a newer question replaced, and shares a repeated one', async () => {
    const calls = new OneAtATime<string>();
    const first = deferred();
    const sent: string[] = [];
    const send = (question: string, reply: Promise<string>) => () => {
      sent.push(question);
      return reply;
    };
    const a = calls.ask('a', send('a', first.promise));
    // The same question again (the effect ran twice): one call, one answer.
    const again = calls.ask('a', send('a', Promise.resolve('never')));
    const b = calls.ask('b', send('b', Promise.resolve('b answer')));
    const c = calls.ask('c', send('c', Promise.resolve('c answer')));
    expect(sent).toEqual(['a']);
    first.answer('a answer');
    expect(await a).toBe('a answer');
    expect(await again).toBe('a answer');
    // b waited for a, and by its turn c was wanted: b was never sent.
    expect(await b).toBeNull();
    expect(await c).toBe('c answer');
    expect(sent).toEqual(['a', 'c']);
    expect(calls.sent).toBe(2);
    // Nothing on its way: the next question goes at once.
    expect(await calls.ask('d', send('d', Promise.resolve('d answer')))).toBe('d answer');
    expect(sent).toEqual(['a', 'c', 'd']);
  });
});

describe('the global bar says how the run is contained', () => {
  it('shows a red badge, with what it means, only when commands run unsandboxed', () => {
    const html = within(withHello(fixture(), { sandbox: 'none' }), createElement(App));
    expect(html).toMatch(/<span class="pill sandbox-none" data-testid="sandbox-warning" role="status" title="[^"]+">⚠ commands run unsandboxed \(sandbox = &quot;none&quot; in agents.toml\)<\/span>/);
    expect(html).toContain(`title="${UNSANDBOXED_TITLE.replace(/"/g, '&quot;')}"`);
    expect(UNSANDBOXED_TITLE).toContain('sandbox = "bwrap"');
    expect(testIds(within(fixture(), createElement(App)))).not.toContain('sandbox-warning');
    // The same red badge in every view: the bar is above them all.
    expect(html.indexOf('sandbox-warning')).toBeLessThan(html.indexOf('data-testid="tab-run"'));
  });

  it('says in red, with the fix in its title, when bubblewrap cannot start and run_command refuses', () => {
    const problem = 'bubblewrap (bwrap) was not found; install it with `apt-get install bubblewrap`';
    const html = within(withHello(fixture(), { sandbox_problem: problem }), createElement(App));
    expect(html).toContain('data-testid="sandbox-problem"');
    expect(html).toContain(problem);
    expect(testIds(within(fixture(), createElement(App)))).not.toContain('sandbox-problem');
  });

  it('names the isolation mode discreetly', () => {
    expect(within(fixture(), createElement(App))).toMatch(/data-testid="isolation" data-isolation="worktree" title="[^"]+">worktrees</);
    expect(within(withHello(fixture(), { isolation: 'shared' }), createElement(App))).toMatch(/data-isolation="shared" title="[^"]+">shared workspace</);
  });
});

describe('ticket and run diffs', () => {
  it('answers the diff call from the fixture: canned diffs, no change for a ticket not started, a refusal for a shared run', async () => {
    const client = createStaticClient(fixture());
    const t1 = await client.call('diff', { ticket: 'T1' });
    expect(t1.ok && t1.value.ticket).toBe('T1');
    expect(t1.ok && t1.value.files).toEqual([{ path: 'src/money.js', status: 'M' }]);
    expect(t1.ok && t1.value.patch).toContain("+  return Math.round((cents * percent) / 100);");
    const run = await client.call('diff', {});
    expect(run.ok && run.value.ticket).toBeNull();
    expect(await client.call('diff', { ticket: 'T4' })).toMatchObject({ ok: true, value: { ticket: 'T4', patch: '', files: [], truncated: false } });
    expect(await client.call('diff', { ticket: 'T9' })).toMatchObject({ ok: false, error: 'there is no ticket T9 in this track' });
    const shared = createStaticClient(withHello(fixture(), { isolation: 'shared' }));
    expect(await shared.call('diff', { ticket: 'T1' })).toMatchObject({ ok: false, error: SHARED_DIFF_REFUSAL });
    expect(await shared.call('diff', {})).toMatchObject({ ok: false, error: SHARED_DIFF_REFUSAL });
  });

  it('draws the file list with status letters and the patch with added, removed and hunk lines styled', async () => {
    const data = fixture();
    const reply = await createStaticClient(data).call('diff', { ticket: 'T1' });
    if (!reply.ok) throw new Error(reply.error);
    const html = within(data, createElement(DiffPanel, { title: 'Diff of T1', diff: { shown: { state: 'ok', diff: reply.value, at: 0 }, refreshing: false, refresh: () => {} }, empty: 'none', offline: null, testId: 'ticket-diff', ticket: 'T1' }));
    expect(html).toContain('data-testid="ticket-diff" data-state="ok" data-refreshing="false" data-ticket="T1"');
    expect(html).toMatch(/data-testid="patch-file" data-path="src\/money.js" data-status="M"><span class="file-status file-status-M" title="modified">M<\/span>/);
    expect(html).toContain('1 file · <span class="diff-added">+9</span> <span class="diff-removed">−3</span>');
    expect(html).toMatch(/<div class="patch-run diff-add" data-kind="add">\+ {2}const value = /);
    expect(html).toMatch(/<div class="patch-run diff-del" data-kind="del">- {2}throw new Error/);
    expect(html).toMatch(/<div class="patch-run diff-hunk" data-kind="hunk">@@ -2,15 \+2,21 @@/);
    expect(html).toMatch(/<div class="patch-run diff-meta" data-kind="meta">diff --git a\/src\/money.js b\/src\/money.js\nindex [0-9a-f]+\.\.[0-9a-f]+ 100644\n--- a\/src\/money.js\n\+\+\+ b\/src\/money.js<\/div>/);
    expect(html).not.toContain('patch-truncated');
    expect(html).toContain('data-testid="ticket-diff-refresh"');
    // Cut by the server: it says so.
    const cut = within(data, createElement(PatchView, { diff: { ...reply.value, truncated: true }, empty: 'none' }));
    expect(cut).toContain('The patch is too long to show in full');
    // Its line counts are of the part shown, and it says so.
    expect(cut).toContain('<span class="diff-removed">−3</span><span class="muted">in the part shown</span>');
    expect(html).not.toContain('in the part shown');
  });

  it('says when there is nothing yet, shows the refusal of a shared run, and disables Refresh while offline', () => {
    const panel = (shown: Parameters<typeof DiffPanel>[0]['diff']['shown'], offline: string | null = null) =>
      within(fixture(), createElement(DiffPanel, { title: 'Run diff', diff: { shown, refreshing: false, refresh: () => {} }, empty: 'No ticket has merged a change yet.', offline, testId: 'run-diff' }));
    const empty = panel({ state: 'ok', diff: { ticket: null, patch: '', files: [], base: null, head: null, truncated: false }, at: 0 });
    expect(empty).toContain('<p class="muted empty" data-testid="patch-empty">No ticket has merged a change yet.</p>');
    const refused = panel({ state: 'refused', error: SHARED_DIFF_REFUSAL });
    expect(refused).toContain(`data-testid="run-diff-refused" role="note">${SHARED_DIFF_REFUSAL.replace(/"/g, '&quot;')}</p>`);
    expect(panel({ state: 'loading' }, 'The server is gone')).toMatch(/data-testid="run-diff-refresh" disabled="" title="The server is gone">Refresh</);
  });

  it('offers the Diff tab beside the transcript, and the Run diff view from the tabs and the board', () => {
    const ids = testIds(within(fixture(), createElement(App)));
    for (const id of ['panel-tab-transcript', 'panel-tab-diff', 'tab-diff', 'board-run-diff']) expect(ids, id).toContain(id);
    const diffTab = within(fixture(), createElement(WorkerPanel, { ticket: fixture().hello.track.tickets[0]!, index: 0, tab: 'diff', onTab: () => {} }));
    expect(diffTab).toContain('data-testid="ticket-diff" data-state="loading"');
    expect(diffTab).not.toContain('data-testid="transcript"');
    // A shared run has no run diff to point at from the board; the tab still says why.
    expect(testIds(within(withHello(fixture(), { isolation: 'shared' }), createElement(App)))).not.toContain('board-run-diff');
  });
});

describe('a merge conflict on the board and in the panel', () => {
  it('names the conflicting files on the card, with the whole reason as its title', () => {
    const html = within(T3conflict(fixture(), 'shared.txt, src/discount.js'), createElement(App));
    expect(html).toMatch(/data-testid="ticket-reason-T3" data-conflict="true" title="merge conflict with clutch\/20261122-232844\/integration in shared.txt, src\/discount.js; retry runs [^"]+">merge conflict in shared.txt, src\/discount.js</);
    // Another reason is shown as it is.
    expect(within(fixture(), createElement(App))).toMatch(/data-testid="ticket-reason-T3" data-conflict="false" title="aborted by the human">aborted by the human</);
  });

  it('shows the whole reason and the files in the blocked ticket’s panel, with a way to its diff', () => {
    const data = T3conflict(fixture(), 'shared.txt');
    const html = within(data, createElement(WorkerPanel, { ticket: data.hello.track.tickets[2]!, index: 2 }));
    expect(html).toContain(`<p data-testid="panel-blocked-reason"><strong>Blocked:</strong> ${conflictReason('shared.txt')}</p>`);
    expect([...html.matchAll(/data-testid="panel-conflict-file">([^<]+)</g)].map((match) => match[1])).toEqual(['shared.txt']);
    expect(html).toContain('data-testid="panel-conflict-show-diff"');
    const plain = within(fixture(), createElement(WorkerPanel, { ticket: data.hello.track.tickets[2]!, index: 2 }));
    expect(plain).toContain('data-testid="panel-blocked" data-conflict="false"');
    expect(plain).not.toContain('panel-conflict-files');
  });
});
