// @ts-check
/**
 * The import rules of DESIGN §2, and no cycles. Each top folder of src/ may import the folders and
 * packages its row below names, and nothing else; src/cli.ts belongs to cli. tests/unit/lint-rules.test.ts
 * checks that a forbidden import really fails.
 *
 * Relative imports are checked by what they reach: a file N folders below src/<folder> reaches
 * src/ through N + 1 `../`, so each depth gets its own block, generated from the tree.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const NODE = 'node:.+';

/**
 * folders: what a folder may import from src/ besides itself. typeOnly: folders it may import
 * with `import type` only. packages: regexes for the whole specifier.
 * @type {Record<string, { folders: string[]; typeOnly?: string[]; packages: string[] }>}
 */
const layers = {
  protocol: { folders: [], packages: ['zod'] },
  // tools: the workspace rule (isInside) has one definition, the sandbox's.
  config: { folders: ['protocol', 'tools'], packages: ['zod', 'smol-toml', NODE] },
  machines: { folders: ['protocol'], packages: ['xstate'] },
  models: { folders: ['protocol'], packages: ['zod', NODE] },
  tools: { folders: ['protocol'], packages: ['zod', 'diff', NODE] },
  store: { folders: ['protocol'], packages: ['better-sqlite3', NODE] },
  actors: { folders: ['machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: ['xstate', NODE] },
  // Creating, listing and resuming runs: below both cli/ and server/, so neither imports the other.
  runs: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: ['xstate', NODE] },
  testing: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'store'], packages: ['xstate', 'xstate/graph', NODE] },
  cli: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'runs', 'store', 'server'], packages: ['xstate', NODE] },
  // Not cli/, not testing/ (the Test paths thread is an entry of its own) and not ui/.
  server: { folders: ['actors', 'machines', 'models', 'tools', 'protocol', 'config', 'runs', 'store'], packages: ['xstate', 'ws', 'zod', '@statelyai/inspect', 'sirv', 'mrmime', 'cookie', NODE] },
  ui: { folders: ['protocol'], typeOnly: ['machines'], packages: ['react(?:-dom)?(?:/.+)?', '@xstate/react', 'xstate', 'elkjs(?:/.+)?', 'zod', '@codemirror/[a-z-]+'] },
};

/**
 * The few files that may do more than their folder, and why.
 * @type {Record<string, { packages?: string[]; valueImports?: string[] }>}
 */
const exceptions = {
  // The only importer of the SDK.
  'src/models/anthropic.ts': { packages: ['@anthropic-ai/sdk(?:/.+)?'] },
  // The only importers of the openai SDK: the client, and the one module that converts its message format.
  'src/models/openai.ts': { packages: ['openai(?:/.+)?'] },
  'src/models/openai-format.ts': { packages: ['openai(?:/.+)?'] },
  // The web app is built on demand; vite is loaded only then.
  'src/server/build-ui.ts': { packages: ['vite'] },
  // The Test paths thread's loader registers tsx before it runs the entry it is given.
  'src/server/test-paths-thread.mjs': { packages: ['tsx/esm/api'] },
  // The inspector draws the machines' definitions.
  'src/ui/inspector/machines.ts': { valueImports: ['machines'] },
  // read_skeleton parses source with the TypeScript compiler; no other tool needs it.
  'src/tools/skeleton.ts': { packages: ['typescript'] },
};

const SOURCES = '{ts,tsx,mts,js,mjs}';
const src = join(import.meta.dirname, 'src');

/** How many folders deep the tree below src/<folder> goes. */
function depthOf(folder) {
  const below = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return below.length === 0 ? 0 : 1 + Math.max(...below.map((entry) => depthOf(join(folder, entry.name))));
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (names) => `(?:${names.join('|')})`;

/**
 * The rules of one folder's files `depth` folders below it (-1: a file in src/ itself), as
 * [pattern, message, allowTypeImports] triples of regexes on the specifier.
 */
function patternsFor(folder, depth, extra = {}) {
  const layer = layers[folder];
  if (!layer) throw new Error(`no layer for src/${folder}`);
  const up = depth < 0 ? '\\./' : `(?:\\.\\./){${depth + 1}}`;
  const typeOnly = (layer.typeOnly ?? []).filter((name) => !extra.valueImports?.includes(name));
  const reachable = [folder, ...layer.folders, ...(layer.typeOnly ?? [])].map(escape);
  const packages = [...layer.packages, ...(extra.packages ?? [])];
  const allowed = [...layer.folders, ...(extra.valueImports ?? [])];
  /** @type {Array<[string, string, boolean]>} */
  const rules = [
    [`^${up}(?!${anyOf(reachable)}(?:/|$))`, `${folder}/ may import from src/ only ${allowed.length ? allowed.join(', ') : 'itself'}${typeOnly.length ? ` (and ${typeOnly.join(', ')} with import type)` : ''} (DESIGN §2).`, false],
    [`^(?!\\.)(?!${anyOf(packages)}$)`, `${folder}/ may not import this package (DESIGN §2).`, false],
    // A relative path that goes into a folder and back out, as `./a/../../x`, would hide where it leads.
    ['(?:^|/)(?!\\.\\.?(?:/|$))[^/]+/\\.\\.?(?:/|$)|./\\.(?:/|$)', 'write relative imports without inner ./ or ../ segments.', false],
  ];
  if (depth < 0) rules.push(['^\\.\\./', 'src/ does not import from outside src/.', false]);
  for (const name of typeOnly) rules.push([`^${up}${escape(name)}(?:/|$)`, `${folder}/ may import ${name}/ only with import type (DESIGN §2).`, true]);
  return rules;
}

/** One block: static imports through no-restricted-imports, import() through no-restricted-syntax. */
function block(files, rules, more = {}) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: rules.map(([regex, message, allowTypeImports]) => ({ regex, message, caseSensitive: true, allowTypeImports })) }],
      'no-restricted-syntax': [
        'error',
        ...rules.map(([regex, message]) => ({ selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`, message })),
        ...(more.syntax ?? []),
      ],
      ...more.rules,
    },
  };
}

/** DESIGN §2: machines read no clock and no randomness; ids and time come from input. */
const pure = {
  syntax: [{ selector: "NewExpression[callee.name='Date']", message: 'machines read no clock: time comes from input.' }],
  rules: {
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: 'machines read no clock: time comes from input.' },
      { object: 'performance', property: 'now', message: 'machines read no clock: time comes from input.' },
      { object: 'Math', property: 'random', message: 'machines use no randomness: ids come from input.' },
    ],
  },
};

const moreFor = (folder) => (folder === 'machines' ? pure : {});
const layerBlocks = [];
for (const folder of Object.keys(layers)) {
  for (let depth = 0; depth <= depthOf(join(src, folder)); depth += 1) {
    layerBlocks.push(block([`src/${folder}/${'*/'.repeat(depth)}*.${SOURCES}`], patternsFor(folder, depth), moreFor(folder)));
  }
}
layerBlocks.push(block(['src/cli.ts'], patternsFor('cli', -1)));
// After the folder's own blocks: a rule given again replaces the folder's for that file.
for (const [file, extra] of Object.entries(exceptions)) {
  const [, folder, ...rest] = file.split('/');
  layerBlocks.push(block([file], patternsFor(folder, rest.length - 1, extra), moreFor(folder)));
}

export default defineConfig(
  { ignores: ['dist/', 'test-results/', 'node_modules/'] },
  {
    files: [`**/*.${SOURCES}`],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    // Style rules are not on here, so a test's directive for one is not a finding.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    // Every file of src/ is under a row of the table: a new folder gets one there, not no rules.
    files: [`src/**/*.${SOURCES}`],
    ignores: ['src/cli.ts', ...Object.keys(layers).map((folder) => `src/${folder}/**`)],
    rules: { 'no-restricted-syntax': ['error', { selector: 'Program', message: 'this folder of src/ has no row in the import rules (eslint.config.js, DESIGN §2).' }] },
  },
  ...layerBlocks,
  {
    files: [`src/**/*.${SOURCES}`],
    plugins: { 'import-x': importX },
    settings: {
      // What no-cycle follows: the TypeScript files behind the `.js` specifiers, parsed as TypeScript.
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: join(import.meta.dirname, 'tsconfig.json') })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
);
