/** How a line of a unified diff is drawn. */
export function diffLineKind(line: string): 'add' | 'del' | 'hunk' | 'meta' | 'context' {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('Index:') || line.startsWith('====')) return 'meta';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  if (line.startsWith('\\')) return 'meta';
  return 'context';
}

/** A unified diff, coloured line by line: added lines green, removed lines red. */
export function DiffView({ diff }: { diff: string }) {
  // The separator lines of the patch format carry nothing a reader needs.
  const lines = diff
    .replace(/\n$/, '')
    .split('\n')
    .filter((line) => !line.startsWith('====') && !line.startsWith('Index:'));
  const added = lines.filter((line) => diffLineKind(line) === 'add').length;
  const removed = lines.filter((line) => diffLineKind(line) === 'del').length;
  return (
    <div className="diff" data-testid="preview-diff">
      <div className="diff-stats">
        <span className="diff-added">+{added}</span> <span className="diff-removed">−{removed}</span>
      </div>
      <pre>
        {lines.map((line, index) => {
          const kind = diffLineKind(line);
          return (
            <div key={index} className={`diff-line diff-${kind}`} data-kind={kind}>
              {line === '' ? ' ' : line}
            </div>
          );
        })}
      </pre>
    </div>
  );
}
