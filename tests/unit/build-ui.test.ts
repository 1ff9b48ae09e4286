import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleIsCurrent } from '../../src/server/build-ui.js';
import { tempDir } from '../support/engine-harness.js';

const root = resolve(import.meta.dirname, '../..');
const sha = (path: string) => createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
let dist: string | undefined;
afterEach(() => {
  if (dist) rmSync(dist, { recursive: true, force: true });
});

function bundle(files: Record<string, string>, lockfile = sha('package-lock.json')): string {
  dist = tempDir('clutch-dist-');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html>');
  writeFileSync(join(dist, 'inputs.json'), JSON.stringify({ lockfile, files }));
  return dist;
}

describe('the web app bundle is rebuilt from what it was really built from', () => {
  it('is current while every recorded input has its hash, in any folder', () => {
    expect(bundleIsCurrent(bundle({ 'src/machines/worker.ts': sha('src/machines/worker.ts'), 'src/ui/main.tsx': sha('src/ui/main.tsx') }))).toBe(true);
  });

  it('is stale when a machine changed, the lockfile changed, an input is gone, or nothing was recorded', () => {
    expect(bundleIsCurrent(bundle({ 'src/machines/worker.ts': '0'.repeat(64) }))).toBe(false);
    expect(bundleIsCurrent(bundle({ 'src/ui/main.tsx': sha('src/ui/main.tsx') }, 'old'))).toBe(false);
    expect(bundleIsCurrent(bundle({ 'src/ui/gone.tsx': 'x' }))).toBe(false);
    const bare = bundle({});
    rmSync(join(bare, 'inputs.json'));
    expect(bundleIsCurrent(bare)).toBe(false);
  });
});
