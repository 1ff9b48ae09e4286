import { getChunks, unifiedMergeView } from '@codemirror/merge';
import { EditorView } from '@codemirror/view';
import { useMemo, useState } from 'react';
import { CodeEditor } from './CodeEditor.js';
import type { FileProposal } from './proposed.js';

/** The accept/reject buttons of one changed hunk, with test ids and a title that says what they do. */
function hunkButton(type: 'accept' | 'reject', action: (event: MouseEvent) => void): HTMLElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `hunk-button hunk-${type}`;
  // The name gives CodeMirror's own colours: green keep, red reject.
  button.name = type;
  button.dataset['testid'] = `hunk-${type}`;
  button.textContent = type === 'accept' ? 'Keep' : 'Reject';
  button.title = type === 'accept' ? 'Keep this change of the proposal' : 'Reject this change: this part of the file stays as it is';
  // mousedown, as CodeMirror's own buttons, so the editor keeps its selection; Enter and Space too.
  button.onmousedown = action;
  button.onkeydown = (event) => {
    if (event.key === 'Enter' || event.key === ' ') action(new MouseEvent('mousedown', { cancelable: true }));
  };
  return button;
}

/** How many hunks of the proposal still differ from the file: none left means every one was kept or rejected. */
const countChunks = (view: EditorView) => getChunks(view.state)?.chunks.length ?? 0;

/**
 * The proposed file in a diff editor: the file as the call would leave it, editable, with the file
 * as it is now shown against it. Each changed hunk can be kept or rejected; the text as it stands
 * is what the call will write.
 */
export function FileDiffEditor(props: { proposal: FileProposal; value: string; onChange: (text: string) => void; testId: string }) {
  const { proposal } = props;
  const [open, setOpen] = useState<number | null>(null);
  const extensions = useMemo(
    () => [
      unifiedMergeView({
        original: proposal.before,
        mergeControls: hunkButton,
        gutter: true,
        syntaxHighlightDeletions: false,
        collapseUnchanged: { margin: 3, minSize: 8 },
      }),
      EditorView.updateListener.of((update) => setOpen(countChunks(update.view))),
    ],
    [proposal.before],
  );
  return (
    <div className="file-diff" data-testid={props.testId} data-open-hunks={open ?? ''}>
      <p className="file-diff-head">
        {proposal.created ? 'New file' : 'Proposed'} <code>{proposal.path}</code>
        <span className="muted">
          {' '}
          · red: the file now; the rest: as the call would write it. Edit it freely; Keep or Reject each change.
        </span>
      </p>
      <CodeEditor
        value={props.value}
        onChange={props.onChange}
        language="text"
        label={`proposed content of ${proposal.path}`}
        testId={`${props.testId}-editor`}
        extensions={extensions}
        resetKey={proposal.before}
      />
    </div>
  );
}
