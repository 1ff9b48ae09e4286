/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so that one's
 * heap and timers do not disturb the next. Exit code 1 if any of them fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches = ['engine.ts', 'ui.ts', 'anthropic.ts', 'crash.ts', 'worktrees.ts', 'sandbox.ts', 'skeleton.ts'];
let failed = 0;
for (const bench of benches) {
  const path = fileURLToPath(new URL(`./${bench}`, import.meta.url));
  console.log(`\n=== bench/${bench}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.log(`FAIL: bench/${bench} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
