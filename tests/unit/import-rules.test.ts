import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** DESIGN §2: which folder of src/ may import what. Relative imports are checked by folder. */
const src = resolve(import.meta.dirname, '../../src');

type Rule = { folders: string[]; packages: RegExp[]; typeOnlyFolders?: string[] };
const node = /^node:/;
const rules: Record<string, Rule> = {
  protocol: { folders: [], packages: [/^zod$/] },
  config: { folders: ['protocol'], packages: [/^zod$/, /^smol-toml$/, node] },
  machines: { folders: ['protocol'], packages: [/^xstate$/] },
  models: { folders: ['protocol'], packages: [/^zod$/, node, /^@anthropic-ai\/sdk/] },
  tools: { folders: ['protocol'], packages: [/^zod$/, /^diff$/, node] },
  store: { folders: ['protocol'], packages: [/^better-sqlite3$/, node] },
  actors: { folders: ['machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: [/^xstate$/, node] },
  // Creating, listing and resuming runs: below both cli/ and server/, so neither imports the other.
  runs: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: [/^xstate$/, node] },
  testing: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: [/^xstate$/, /^xstate\/graph$/, node] },
  cli: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'runs', 'store', 'server'], packages: [/^xstate$/, node] },
  server: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'runs', 'store', 'testing'], packages: [/^xstate$/, node, /^ws$/, /^zod$/, /^@statelyai\/inspect$/, /^vite$/] },
  ui: { folders: ['protocol'], typeOnlyFolders: ['machines'], packages: [/^react/, /^@xstate\/react$/, /^xstate$/, /^elkjs/, /^zod$/] },
};

function files(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

function imports(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

const topFolder = (path: string) => relative(src, path).split(/[/\\]/)[0]!.replace(/\.tsx?$/, '');

describe('import rules (DESIGN §2)', () => {
  const all = files(src);

  it('finds the source files', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  for (const file of all) {
    const folder = topFolder(file);
    const rule = rules[folder];
    if (!rule) continue;
    it(`${relative(src, file)} imports only what ${folder}/ may`, () => {
      const text = readFileSync(file, 'utf8');
      const wrong: string[] = [];
      for (const { specifier, typeOnly } of imports(text)) {
        if (specifier.startsWith('.')) {
          const target = topFolder(resolve(dirname(file), specifier));
          if (target === folder) continue;
          if (rule.folders.includes(target)) continue;
          if (typeOnly && rule.typeOnlyFolders?.includes(target)) continue;
          // DESIGN §2: the UI may import machines by value only to draw their definitions (the inspector).
          if (folder === 'ui' && target === 'machines' && relative(src, file).startsWith(join('ui', 'inspector'))) continue;
          wrong.push(specifier);
        } else if (!rule.packages.some((pattern) => pattern.test(specifier))) {
          wrong.push(specifier);
        }
      }
      expect(wrong, `${relative(src, file)} may not import these`).toEqual([]);
    });
  }

  it('only models/anthropic.ts imports the Anthropic SDK', () => {
    const importers = all.filter((file) => imports(readFileSync(file, 'utf8')).some((item) => item.specifier.startsWith('@anthropic-ai/sdk')));
    expect(importers.map((file) => relative(src, file)).filter((path) => path !== join('models', 'anthropic.ts'))).toEqual([]);
  });

  it('only server/build-ui.ts imports vite (the web app is built on demand)', () => {
    const importers = all.filter((file) => imports(readFileSync(file, 'utf8')).some((item) => item.specifier === 'vite'));
    expect(importers.map((file) => relative(src, file))).toEqual([join('server', 'build-ui.ts')]);
  });

  it('machines read no clock and no randomness: ids and time come from input', () => {
    for (const file of all.filter((path) => topFolder(path) === 'machines')) {
      expect(readFileSync(file, 'utf8'), relative(src, file)).not.toMatch(/Date\.now|new Date\(|Math\.random|performance\.now/);
    }
  });
});
