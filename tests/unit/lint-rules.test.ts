import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The import rules of DESIGN §2 live in eslint.config.js; `npm test` runs eslint on the tree. These
 * cases lint made-up files at real paths, so that a rule that stops matching (a typo in a regex, a
 * block that no longer applies) fails here instead of passing everything.
 */
const root = resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The rules that fire on `code` as if it were the file at `path`. */
async function findings(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  return result!.messages.map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const value = (specifier: string) => `import { x } from '${specifier}';\nexport const y = x;\n`;

describe('import rules (DESIGN §2, eslint.config.js)', () => {
  it('refuses server → cli and server → testing, type imports and import() too', async () => {
    expect(await findings('src/server/x.ts', value('../cli/run.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', value('../testing/plans.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', "import type { MachinePlan } from '../testing/plans.js';\nexport type P = MachinePlan;\n")).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', "export { planFor } from '../testing/plans.js';\n")).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', "export const load = () => import('../cli/run.js');\n")).toEqual(['no-restricted-syntax']);
    expect(await findings('src/server/x.ts', value('../ui/format.js'))).toEqual(['no-restricted-imports']);
  });

  it('lets a folder import what its row names', async () => {
    expect(await findings('src/server/x.ts', `${value('../runs/list-runs.js')}import { readFileSync } from 'node:fs';\nimport { WebSocketServer } from 'ws';\nexport { readFileSync, WebSocketServer };\n`)).toEqual([]);
    expect(await findings('src/cli/x.ts', value('../server/index.js'))).toEqual([]);
    expect(await findings('src/testing/x.ts', value('../actors/engine.js'))).toEqual([]);
  });

  it('holds the layers below: no upward imports, no imports out of src/', async () => {
    expect(await findings('src/machines/x.ts', value('../actors/engine.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/protocol/x.ts', value('../config/index.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/runs/x.ts', value('../server/index.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/actors/x.ts', value('../../tests/support/pure.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/cli.ts', value('./ui/format.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/cli.ts', value('./cli/run.js'))).toEqual([]);
  });

  it('counts ../ by depth: a deep ui file reaches src/ with more of them', async () => {
    expect(await findings('src/ui/components/inspector/X.tsx', value('../../../protocol/wire.js'))).toEqual([]);
    expect(await findings('src/ui/components/inspector/X.tsx', value('../../views.js'))).toEqual([]);
    expect(await findings('src/ui/components/inspector/X.tsx', value('../../../actors/engine.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/ui/components/inspector/X.tsx', value('../../../../tests/support/pure.js'))).toEqual(['no-restricted-imports']);
  });

  it('refuses relative paths that hide where they lead', async () => {
    expect(await findings('src/server/x.ts', value('./http/../../cli/run.js'))).toEqual(['no-restricted-imports']);
  });

  it('lets the UI import machines with import type only, and by value only to draw them', async () => {
    expect(await findings('src/ui/x.ts', "import type { TicketInfo } from '../machines/schedule.js';\nexport type T = TicketInfo;\n")).toEqual([]);
    expect(await findings('src/ui/x.ts', value('../machines/worker.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/ui/inspector/x.ts', value('../../machines/worker.js'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/ui/inspector/machines.ts', value('../../machines/worker.js'))).toEqual([]);
  });

  it('allows each package only where its row (or one named file) says', async () => {
    expect(await findings('src/protocol/x.ts', value('xstate'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/machines/x.ts', value('node:fs'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', value('vite'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/server/x.ts', "export const load = () => import('vite');\n")).toEqual(['no-restricted-syntax']);
    expect(await findings('src/server/build-ui.ts', "export const load = () => import('vite');\n")).toEqual([]);
    expect(await findings('src/models/x.ts', value('@anthropic-ai/sdk'))).toEqual(['no-restricted-imports']);
    expect(await findings('src/models/anthropic.ts', value('@anthropic-ai/sdk'))).toEqual([]);
    expect(await findings('src/ui/x.ts', value('react-dom/client'))).toEqual([]);
    expect(await findings('src/ui/x.ts', value('node:fs'))).toEqual(['no-restricted-imports']);
  });

  it('keeps the machines free of clocks and randomness', async () => {
    expect(await findings('src/machines/x.ts', 'export const a = Date.now();\n')).toEqual(['no-restricted-properties']);
    expect(await findings('src/machines/x.ts', 'export const a = Math.random();\n')).toEqual(['no-restricted-properties']);
    expect(await findings('src/machines/x.ts', 'export const a = new Date();\n')).toEqual(['no-restricted-syntax']);
    expect(await findings('src/actors/x.ts', 'export const a = Date.now();\n')).toEqual([]);
  });

  it('gives a new folder of src/ no free pass', async () => {
    expect(await findings('src/extras/x.ts', 'export const a = 1;\n')).toEqual(['no-restricted-syntax']);
  });

  it('finds import cycles', async () => {
    // http.ts imports auth.ts by value: auth.ts importing http.ts back closes a cycle.
    expect(await findings('src/server/auth.ts', "import { sendText } from './http.js';\nexport const a = sendText;\n")).toEqual(['import-x/no-cycle']);
  });
});
