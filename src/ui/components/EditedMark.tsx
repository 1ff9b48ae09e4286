import { editText, type EditLike } from '../edits.js';

const what: Record<EditLike['kind'], string> = {
  edit_payload: 'the payload',
  edit_result: 'the result',
  edit_message: 'the message',
};

/** The "edited" mark on a block the human changed; it opens the originals beside the edits. */
export function EditedMark({ edits, open, onToggle }: { edits: readonly EditLike[]; open: boolean; onToggle: () => void }) {
  const kind = edits[0]!.kind;
  return (
    <button
      type="button"
      className={`edited-mark${open ? ' open' : ''}`}
      data-testid="edited-mark"
      data-kind={kind}
      data-count={edits.length}
      aria-expanded={open}
      title={`a human edited ${what[kind]}${edits.length > 1 ? ` ${edits.length} times` : ''}: show the original beside the edit`}
      onClick={(event) => {
        // Inside a result's <summary>: the mark opens the comparison, not the result.
        event.preventDefault();
        event.stopPropagation();
        onToggle();
      }}
    >
      edited{edits.length > 1 ? ` ×${edits.length}` : ''}
    </button>
  );
}

/** Each edit of a block: what it replaced beside what it became, from the journal when it could be read. */
export function EditCompare({ edits, source, error }: { edits: readonly EditLike[]; source: 'journal' | 'view'; error: string | null }) {
  return (
    <div className="edit-compare" data-testid="edit-compare" data-source={source}>
      {edits.map((edit, index) => (
        <div key={edit.seq ?? index} className="edit-pair" data-testid="edit-pair" data-kind={edit.kind}>
          {edits.length > 1 && <div className="edit-pair-head">edit {index + 1} of {edits.length}</div>}
          <div className="edit-side original">
            <div className="edit-side-label">original</div>
            <pre data-testid="edit-original">{editText(edit.original)}</pre>
          </div>
          <div className="edit-side replacement">
            <div className="edit-side-label">edited</div>
            <pre data-testid="edit-replacement">{editText(edit.replacement)}</pre>
          </div>
        </div>
      ))}
      <p className="muted edit-source">
        {source === 'journal' ? "From the run's journal." : `From the worker's recent edits${error ? ` (the journal could not be read: ${error})` : ''}.`}
      </p>
    </div>
  );
}
