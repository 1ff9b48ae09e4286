import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Text } from '@codemirror/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeTool, previewTool, type ToolContext } from '../../src/tools/index.js';
import { diffPreview, FULL_TEXT_LIMIT } from '../../src/tools/diff-preview.js';
import { payloadAnswer, primaryAnswer, primaryReview } from '../../src/ui/editors/payload-answer.js';
import { deriveEdit, fileProposal, payloadFor, proposedText, type FileProposal } from '../../src/ui/editors/proposed.js';
import { jsonErrorOffset } from '../../src/ui/editors/cm-setup.js';
import type { ToolUseBlock } from '../../src/protocol/index.js';

/**
 * The editors' logic without a browser: what the diff editor shows and the payload it derives (checked
 * by running the real tools on a real file), and what the primary button at each pause sends.
 */
let workspace: string;
let context: ToolContext;

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-ui-editors-')));
  context = { workspace, allowedCommands: [], commandTimeoutMs: 10_000, maxOutputBytes: 64 * 1024 };
});

afterEach(() => rmSync(workspace, { recursive: true, force: true }));

const money = ['export function toCents(a) {', "  throw new Error('not implemented');", '}', '', 'export function percentOf(c, p) {', "  throw new Error('not implemented');", '}', ''].join('\n');
const call = (name: string, input: Record<string, unknown>): ToolUseBlock => ({ type: 'tool_use', id: 'toolu_1', name, input });

/** The proposal a real preview gives for a call on `file` holding `text`. */
async function proposalOf(name: 'write_file' | 'edit_file', input: Record<string, unknown>, text: string): Promise<FileProposal> {
  writeFileSync(path.join(workspace, 'money.js'), text);
  const preview = await previewTool(name, input, context);
  const proposal = fileProposal(call(name, input), preview);
  expect(proposal).not.toBeNull();
  return proposal!;
}

describe('the diff preview carries the whole texts for the diff editor', () => {
  it('has before and after beside the diff, and leaves them out for a file too large to send twice', () => {
    expect(diffPreview('a.txt', 'one\n', 'two\n', false)).toMatchObject({ kind: 'diff', before: 'one\n', after: 'two\n' });
    const big = 'x'.repeat(FULL_TEXT_LIMIT);
    const large = diffPreview('a.txt', big, `${big}y`, false);
    expect(large).toMatchObject({ kind: 'diff' });
    expect(large).not.toHaveProperty('before');
    expect(fileProposal(call('write_file', { path: 'a.txt', content: '' }), large)).toBeNull();
  });

  it('offers the diff editor only for write_file and edit_file', () => {
    const preview = diffPreview('a.txt', 'one\n', 'two\n', false);
    expect(fileProposal(call('run_command', { argv: ['ls'] }), preview)).toBeNull();
    expect(fileProposal(call('write_file', { path: 'a.txt', content: 'two\n' }), preview)).toMatchObject({ tool: 'write_file', before: 'one\n', after: 'two\n' });
  });
});

describe('a payload derived from the edited file', () => {
  it('write_file: the content is the text as it stands', async () => {
    const implemented = money.replace("  throw new Error('not implemented');", '  return Math.round(a * 100);');
    const input = { path: 'money.js', content: implemented.replace("  throw new Error('not implemented');", '  return Math.round((c * p) / 100);') };
    const proposal = await proposalOf('write_file', input, money);
    // The human rejected the second hunk: only the first change is written.
    const derived = payloadFor(proposal, input, implemented);
    expect(derived).toEqual({ ok: true, input: { path: 'money.js', content: implemented } });
    await executeTool('write_file', derived.ok ? derived.input : {}, context);
    expect(readFileSync(path.join(workspace, 'money.js'), 'utf8')).toBe(implemented);
  });

  it('edit_file: one unique old_string around what changed, which the real tool applies to give exactly the text', async () => {
    const input = { path: 'money.js', old_string: "  throw new Error('not implemented');\n}\n", new_string: '  return 0;\n}\n', replace_all: true };
    const proposal = await proposalOf('edit_file', input, money);
    expect(proposal.after).toBe(money.replaceAll("  throw new Error('not implemented');", '  return 0;'));
    // Reject the change to percentOf; keep toCents's.
    const kept = money.replace("  throw new Error('not implemented');", '  return 0;');
    const derived = payloadFor(proposal, input, kept);
    expect(derived.ok).toBe(true);
    const payload = derived.ok ? derived.input : {};
    expect(payload).not.toHaveProperty('replace_all');
    // The same line occurs twice in the file: the old_string grew until it is unique.
    expect(payload['old_string']).toContain('toCents');
    const out = await executeTool('edit_file', payload, context);
    expect(out.is_error).toBe(false);
    expect(readFileSync(path.join(workspace, 'money.js'), 'utf8')).toBe(kept);
  });

  it('edit_file: a change the human typed into the file is part of the payload too', async () => {
    const input = { path: 'money.js', old_string: 'export function toCents(a) {', new_string: 'export function toCents(amount) {' };
    const proposal = await proposalOf('edit_file', input, money);
    const typed = `// money helpers\n${proposal.after}`;
    const derived = payloadFor(proposal, input, typed);
    expect(derived.ok).toBe(true);
    expect(proposedText(proposal, derived.ok ? derived.input : {})).toEqual({ ok: true, text: typed });
  });

  it('edit_file: every change rejected, or an empty file, is no edit, with the reason', () => {
    expect(deriveEdit(money, money)).toEqual({ ok: false, error: expect.stringContaining('every change is rejected') });
    expect(deriveEdit('', 'new')).toEqual({ ok: false, error: expect.stringContaining('empty file') });
  });

  it('edit_file: a change at the very start or end of the file, or of a file of repeated lines, stays exact', () => {
    for (const [before, after] of [
      ['a\na\na\n', 'a\nb\na\n'],
      ['\n\nx', '\ny\nx'],
      ['x\ny', 'x\ny\nz'],
      ['same\nsame', 'other\nsame'],
    ] as const) {
      const edit = deriveEdit(before, after);
      expect(edit.ok, `${before} → ${after}`).toBe(true);
      if (!edit.ok) continue;
      expect(before.split(edit.old_string)).toHaveLength(2);
      expect(before.replace(edit.old_string, () => edit.new_string)).toBe(after);
    }
  });

  it('shows an edited JSON payload as the file again, or says why it cannot', async () => {
    const input = { path: 'money.js', old_string: 'toCents(a)', new_string: 'toCents(amount)' };
    const proposal = await proposalOf('edit_file', input, money);
    expect(proposedText(proposal, { ...input, new_string: 'toCents(x)' })).toEqual({ ok: true, text: money.replace('toCents(a)', 'toCents(x)') });
    expect(proposedText(proposal, { ...input, old_string: 'nowhere' })).toEqual({ ok: false, error: 'its old_string is not in the file' });
    expect(proposedText(proposal, { ...input, old_string: "throw new Error('not implemented');" })).toMatchObject({ ok: false, error: expect.stringContaining('occurs 2 times') });
  });
});

describe('the primary answer never drops an edit (defect 1)', () => {
  const pause = { kind: 'approval' as const, tool_use_id: 'toolu_1' };
  const input = { path: 'src/money.js' };

  it('approves the call as it is while the editor holds the same value, however it is laid out', () => {
    const answer = payloadAnswer({ input, mode: 'json', proposal: null, json: '{\n    "path":   "src/money.js"\n}', file: '' });
    expect(primaryAnswer(answer, pause)).toEqual({ label: 'Approve', command: { type: 'clutch.approve', pause } });
  });

  it('with an edit, applies it and approves in one command', () => {
    const answer = payloadAnswer({ input, mode: 'json', proposal: null, json: '{"path": "test/money.test.js"}', file: '' });
    expect(primaryAnswer(answer, pause)).toEqual({
      label: 'Apply edit and approve',
      command: { type: 'clutch.edit_payload', pause, input: { path: 'test/money.test.js' }, approve: true },
    });
  });

  it('with invalid JSON, says so (the button is then disabled), never the original Approve', () => {
    const answer = payloadAnswer({ input, mode: 'json', proposal: null, json: '{"path": ', file: '' });
    expect(answer).toMatchObject({ kind: 'invalid', error: expect.stringMatching(/^Invalid JSON: /) });
    expect(primaryAnswer(answer, pause).label).toBe('Apply edit and approve');
  });

  it('in the diff editor: the untouched proposal approves, an edited one applies the derived payload', () => {
    const proposal: FileProposal = { tool: 'write_file', path: 'a.txt', created: false, before: 'one\n', after: 'two\n' };
    const write = { path: 'a.txt', content: 'two\n' };
    expect(payloadAnswer({ input: write, mode: 'file', proposal, json: '', file: 'two\n' })).toEqual({ kind: 'approve' });
    expect(payloadAnswer({ input: write, mode: 'file', proposal, json: '', file: 'one\n' })).toEqual({ kind: 'edit', input: { path: 'a.txt', content: 'one\n' } });
  });

  it('at pause 2: an edited output (or error flag) is applied and approved in one command', () => {
    const review = { kind: 'review' as const, tool_use_id: 'toolu_1' };
    const result = { content: 'read this', is_error: false };
    expect(primaryReview({ output: 'read this', isError: false }, result, review)).toMatchObject({ label: 'Approve', changed: false, command: { type: 'clutch.approve' } });
    expect(primaryReview({ output: 'read that', isError: false }, result, review).command).toEqual({ type: 'clutch.edit_result', pause: review, output: 'read that', is_error: false, approve: true });
    expect(primaryReview({ output: 'read this', isError: true }, result, review).changed).toBe(true);
  });
});

describe("JSON errors are marked where JSON.parse stopped", () => {
  const doc = Text.of(['{', '  "a": 1,', '}']);
  it('reads both of V8\'s forms and the end of input', () => {
    expect(jsonErrorOffset('Unexpected token } in JSON at position 12', doc)).toBe(12);
    expect(jsonErrorOffset("Expected double-quoted property name in JSON at position 12 (line 3 column 1)", doc)).toBe(12);
    expect(jsonErrorOffset('Bad thing (line 2 column 3)', doc)).toBe(doc.line(2).from + 2);
    expect(jsonErrorOffset('Unexpected end of JSON input', doc)).toBe(doc.length);
  });
});
