import type { ToolPreview } from '../../protocol/index.js';
import { commandLine } from '../format.js';
import { DiffView } from './DiffView.js';

/** What pause 1 shows before anything runs: the diff of a file change, or the command line. */
export function PreviewView({ preview, previewing }: { preview: ToolPreview | null; previewing: boolean }) {
  if (!preview) return <p className="muted" data-testid="preview-loading">{previewing ? 'Preparing the preview…' : 'No preview.'}</p>;
  switch (preview.kind) {
    case 'diff':
      return (
        <div className="preview">
          <p className="preview-title">
            {preview.created ? 'Creates' : 'Changes'} <code>{preview.path}</code>
          </p>
          <DiffView diff={preview.diff} />
        </div>
      );
    case 'command':
      return (
        <div className="preview">
          <p className="preview-title">
            Runs in <code>{preview.cwd || '.'}</code>, timeout {Math.round(preview.timeout_ms / 1000)} s
          </p>
          <pre className="command-line" data-testid="preview-command">
            <span className="prompt">$ </span>
            {commandLine(preview.argv)}
          </pre>
        </div>
      );
    case 'text':
      return <pre className="preview-text" data-testid="preview-text">{preview.text}</pre>;
  }
}
