import type { QaResult } from '../qa.js';

/** A QA hint (tier 4) shown as what it is: the hint highlighted, who wrote it, and the tokens it saved. */
export function QaHint({ qa, savedTokens, callId }: { qa: QaResult; savedTokens?: number | undefined; callId: string }) {
  return (
    <div className="qa-hint" data-testid="qa-hint" data-call={callId} data-saved={savedTokens ?? ''}>
      <div className="qa-hint-head">
        <span className="qa-badge">QA hint</span> <span className="muted">by {qa.archetype} · {qa.status}</span>
        {savedTokens !== undefined && (
          <span className="qa-saved" data-testid="qa-saved" title="tokens of raw command output the worker's transcript did not have to carry">
            saved {savedTokens} token{savedTokens === 1 ? '' : 's'}
          </span>
        )}
      </div>
      <p className="qa-hint-text" data-testid="qa-hint-text">
        {qa.hint}
      </p>
    </div>
  );
}
