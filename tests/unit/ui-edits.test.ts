import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AssistantMessage, ModelMessage } from '../../src/protocol/index.js';
import type { EditEntry } from '../../src/protocol/workbench.js';
import { EditCompare } from '../../src/ui/components/EditedMark.js';
import { TranscriptBlock } from '../../src/ui/components/TranscriptBlock.js';
import { editText, editsOnTranscript, fromRecord, ofAttempt, type EditLike } from '../../src/ui/edits.js';

/** Where the human's edits sit in the transcript, and the "edited" mark that shows the original beside the edit. */
const user = (text: string): ModelMessage => ({ role: 'user', content: text });
const reply = (text: string, calls: [string, string, Record<string, unknown>][]): AssistantMessage => ({
  role: 'assistant',
  content: [{ type: 'text', text }, ...calls.map(([id, name, input]) => ({ type: 'tool_use' as const, id, name, input }))],
});

describe('edits on the transcript', () => {
  const first = reply('Reading the file.', [['u1', 'read_file', { path: 'src/a.js' }]]);
  const rewritten = reply('Edited by the human: read the tests.', [['u2', 'read_file', { path: 'test/a.test.js' }]]);
  const messages: ModelMessage[] = [
    user('the ticket'),
    first,
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'u1', content: 'edited output' }] },
    // The payload of u2 was edited after the message was rewritten: its input differs, its id does not.
    { ...rewritten, content: rewritten.content.map((block) => (block.type === 'tool_use' ? { ...block, input: { path: 'test/b.test.js' } } : block)) },
  ];
  const edits: EditLike[] = [
    { kind: 'edit_result', accepted: true, tool_use_id: 'u1', original: 'real output', replacement: 'edited output' },
    { kind: 'edit_message', accepted: true, original: reply('Next I will guess.', [['u2', 'read_file', { path: 'x' }]]), replacement: reply('Half-way.', [['u2', 'read_file', { path: 'x' }]]) },
    { kind: 'edit_message', accepted: true, original: reply('Half-way.', [['u2', 'read_file', { path: 'x' }]]), replacement: rewritten },
    { kind: 'edit_payload', accepted: true, tool_use_id: 'u2', original: { path: 'test/a.test.js' }, replacement: { path: 'test/b.test.js' } },
    { kind: 'edit_payload', accepted: false, tool_use_id: 'u1', original: null, replacement: { nope: 1 }, reason: 'path is required' },
  ];

  it('marks the edited result, the rewritten message (both rewrites) and the edited payload; a refused edit marks nothing', () => {
    const placed = editsOnTranscript(messages, edits);
    expect([...placed.results.keys()]).toEqual(['u1']);
    expect(placed.calls.get('u2')?.map((edit) => edit.replacement)).toEqual([{ path: 'test/b.test.js' }]);
    expect(placed.calls.has('u1')).toBe(false);
    // The second rewrite is the message as it stands; the first wrote what the second replaced.
    expect([...placed.messages.keys()]).toEqual([3]);
    expect(placed.messages.get(3)!.map((edit) => (edit.replacement as AssistantMessage).content[0])).toEqual([
      { type: 'text', text: 'Half-way.' },
      { type: 'text', text: 'Edited by the human: read the tests.' },
    ]);
  });

  it('takes the journal entries of the current attempt, and the view records in the same shape', () => {
    const entries: EditEntry[] = [
      { seq: 4, attempt: 1, at: 10, kind: 'edit_result', accepted: true, tool_use_id: 'u1', original: 'a', replacement: 'b' },
      { seq: 9, attempt: 2, at: 20, kind: 'edit_payload', accepted: true, tool_use_id: 'u7', original: {}, replacement: { path: 'p' } },
    ];
    expect(ofAttempt(entries, 2).map((edit) => edit.seq)).toEqual([9]);
    expect(fromRecord({ kind: 'edit_payload', accepted: true, toolUseId: 'u3', original: 1, replacement: 2 })).toEqual({ kind: 'edit_payload', accepted: true, tool_use_id: 'u3', original: 1, replacement: 2 });
    expect(editText('plain')).toBe('plain');
    expect(editText({ path: 'a' })).toBe('{\n  "path": "a"\n}');
  });

  it('draws the mark on an edited block, and the original beside the edit', () => {
    const block = { type: 'tool_result' as const, tool_use_id: 'u1', content: 'edited output' };
    const marked = renderToStaticMarkup(
      createElement(TranscriptBlock, { block, toolNames: new Map([['u1', 'read_file']]), edits: { edits: [edits[0]!], source: 'journal', error: null, refresh: () => {} } }),
    );
    expect(marked).toContain('data-testid="edited-mark" data-kind="edit_result" data-count="1"');
    const plain = renderToStaticMarkup(createElement(TranscriptBlock, { block, toolNames: new Map() }));
    expect(plain).not.toContain('edited-mark');
    const compare = renderToStaticMarkup(createElement(EditCompare, { edits: [edits[0]!], source: 'journal', error: null }));
    expect(compare).toContain('<pre data-testid="edit-original">real output</pre>');
    expect(compare).toContain('<pre data-testid="edit-replacement">edited output</pre>');
    expect(compare).toContain('data-source="journal"');
  });
});
