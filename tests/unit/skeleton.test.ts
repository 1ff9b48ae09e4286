import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolNames } from '../../src/protocol/index.js';
import { executeTool, skeletonOf, skeletonsFor, SKELETONS_MAX_BYTES, toolSpecs, type ToolContext } from '../../src/tools/index.js';

/** The skeleton's text, failing the test when there is none. */
function skeleton(fileName: string, text: string, options: { docs?: boolean } = {}): string {
  const result = skeletonOf(fileName, text, options);
  if (!result.ok) throw new Error(result.reason);
  expect(result.syntaxErrors).toBe(0);
  return result.text;
}

const lines = (...list: string[]) => list.join('\n');

describe('skeletonOf: TypeScript', () => {
  it('gives a small module exactly: the imports line, then its exports without `export`', () => {
    const source = `import { z } from 'zod';
import type { Item } from './item.js';

/** A cart holds items. A type's doc comment is not shown. */
export interface Cart { items: Item[]; }

/** Adds an item. The rest of this comment is not shown. */
export function addItem(cart: Cart, sku: string, price: number, qty?: number): Cart {
  function inner() { return 1; }
  return { items: [...cart.items, { sku, price, qty: qty ?? 1 }] };
}

export class Hub {
  #clients = new Set<string>();
  constructor(engine: Engine, session: SessionInfo, options?: HubOptions) {
    this.#clients.add(session.id);
  }
  get flushes(): number { return 0; }
  connect(connection: HubConnection): HubClient {
    return this.#receive(connection);
  }
  #receive(connection: HubConnection): HubClient { return connection.client; }
}
`;
    expect(skeleton('src/cart.ts', source)).toBe(
      lines(
        'imports: 2 modules (2 names)',
        'exports:',
        'interface Cart { items: Item[] }',
        '/** Adds an item. */',
        'addItem(cart: Cart, sku: string, price: number, qty?: number): Cart',
        'class Hub {',
        '  #clients',
        '  constructor(engine: Engine, session: SessionInfo, options?: HubOptions)',
        '  get flushes(): number',
        '  connect(connection: HubConnection): HubClient',
        '  #receive(…)',
        '}',
      ),
    );
  });

  it('shows types, enums, generics, overloads (counted), a default export and arrow exports', () => {
    const source = `export type Id = string | number;
export type Options = {
  retries?: number;
  timeout: number;
};
export enum Color { Red, Green = 'green' }
export interface Box<T extends object = {}> extends Base<T> {
  readonly value: T;
  map<U>(f: (value: T) => U): Box<U>;
}
export function parse(text: string): number;
export function parse(text: string, radix: number): number;
export function parse(text: string, radix?: number): number {
  return Number.parseInt(text, radix);
}
export const add = (a: number, b: number): number => a + b;
export const first = async <T,>(list: T[]) => list[0];
export const LIMIT = 32 * 1024;
export const table: Record<string, number> = { a: 1 };
export const names = ['a', 'b'] as const;
export const schema = z.object({ a: z.string() });
export const seen = new Map<string, number>();
const hidden = 5;
export default class Store<K, V> extends Map<K, V> implements Disposable {
  private readonly cache = new Map<K, V>();
  static create<K, V>(): Store<K, V> { return new Store(); }
  [Symbol.dispose](): void {}
}
`;
    expect(skeleton('src/types.ts', source)).toBe(
      lines(
        'exports:',
        'type Id = string | number',
        'type Options = { retries?: number; timeout: number }',
        "enum Color { Red, Green = 'green' }",
        'interface Box<T extends object = {}> extends Base<T> {',
        '  readonly value: T; map<U>(f: (value: T) => U): Box<U>',
        '}',
        'parse(text: string): number (+1 overload)',
        'const add = (a: number, b: number): number => …',
        'const first = async <T>(list: T[]) => …',
        'const LIMIT = 32 * 1024',
        'const table: Record<string, number>',
        'const names = […] as const',
        'const schema = z.object(…)',
        'const seen = new Map<string, number>(…)',
        'export default class Store<K, V> extends Map<K, V> implements Disposable {',
        '  private readonly cache',
        '  static create<K, V>(): Store<K, V>',
        '  [Symbol.dispose](): void',
        '}',
      ),
    );
  });

  it('keeps `export` on default exports, keywords on async, generator, abstract and const enum, and reads namespaces', () => {
    const source = `export default function main(argv: string[]) { return argv; }
export async function load(url: string): Promise<void> {}
export function* ids() {}
export declare function ambient(): void;
export abstract class Shape { abstract area(): number; }
export const enum Flag { On = 1, Off }
export namespace Geometry { export function distance(a: Point, b: Point) {} function internal() {} }
declare module 'thing' { export function thing(): void; }
declare global { interface Window { clutch: string } }
`;
    expect(skeleton('src/misc.ts', source)).toBe(
      lines(
        'exports:',
        'export default function main(argv: string[])',
        'async load(url: string): Promise<void>',
        '*ids()',
        'ambient(): void',
        'abstract class Shape { abstract area(): number }',
        'const enum Flag { On = 1, Off }',
        'namespace Geometry {',
        '  export function distance(a: Point, b: Point)',
        '  function internal()',
        '}',
        "declare module 'thing' {",
        '  export function thing(): void',
        '}',
        'declare global {',
        '  interface Window { clutch: string }',
        '}',
      ),
    );
  });

  it('reads .d.ts files as written: declarations in a declaration file need no export', () => {
    const source = `declare namespace Api {
  const version: string;
  function call(name: string): Promise<unknown>;
}
declare module 'thing' {
  export function thing(x: number): string;
}
export { type Api as Api, other as renamed } from './api.js';
export declare function top(a: number): void;
`;
    expect(skeleton('types/api.d.ts', source)).toBe(
      lines(
        'declare namespace Api {',
        '  const version: string',
        '  function call(name: string): Promise<unknown>',
        '}',
        "declare module 'thing' {",
        '  export function thing(x: number): string',
        '}',
        "export { type Api, other as renamed } from './api.js'",
        'export declare function top(a: number): void',
      ),
    );
  });

  it('reads .tsx, .mts and .cts with the right grammar', () => {
    expect(skeleton('src/app.tsx', 'export function App({ title }: Props) { return <h1>{title}</h1>; }')).toBe(lines('exports:', 'App({ title }: Props)'));
    // A generic arrow function: TypeScript in .mts, the start of an unclosed JSX element in .tsx.
    expect(skeleton('src/a.mts', 'export const f = <T>(x: T): T => x;')).toBe(lines('exports:', 'const f = <T>(x: T): T => …'));
    const asJsx = skeletonOf('src/a.tsx', 'export const f = <T>(x: T): T => x;');
    expect(asJsx.ok && asJsx.syntaxErrors).toBeGreaterThan(0);
    expect(skeleton('src/a.cts', 'export = function (a: number) { return a; };')).toBe(lines('exports:', 'export = function(a: number)'));
  });
});

describe('skeletonOf: JavaScript', () => {
  it('gives a JSDoc-typed CommonJS module exactly, with its typedefs, params and exports', () => {
    const source = `const path = require('node:path');

/**
 * @typedef {Object} Line
 * @property {string} sku
 * @property {number} [qty]
 */

/**
 * Adds qty items. Then more.
 * @param {{ lines: Line[] }} cart
 * @param {string} sku
 * @param {number} [qty]
 * @returns {number} the new count
 */
function addItem(cart, sku, qty = 1) {
  return cart.lines.push({ sku, qty });
}

/** @type {Record<string, number>} */
const CODES = { SAVE10: 10 };
const notExported = 3;

class Store {
  /** @param {string} root */
  constructor(root) { this.root = root; }
  get(key, fallback = null) { return fallback; }
}

function helper() {}

module.exports = { addItem, CODES, Store };
`;
    expect(skeleton('lib/cart.cjs', source)).toBe(
      lines(
        'imports: 1 module (1 name)',
        'exports:',
        'type Line = { sku: string; qty?: number }',
        '/** Adds qty items. */',
        'addItem(cart: { lines: Line[]; }, sku: string, qty?: number): number',
        'const CODES: Record<string, number>',
        'class Store { constructor(root: string); get(key, fallback = null) }',
        'module.exports = { addItem, CODES, Store }',
        'not exported: helper()',
      ),
    );
  });

  it('reads ES modules in .js, .mjs and .jsx, and a script (no exports) as written', () => {
    expect(skeleton('src/money.js', "import { x } from './x.js';\n/** 1250 → \"$12.50\". */\nexport function formatCents(cents) {\n  return '';\n}\n")).toBe(
      lines('imports: 1 module (1 name)', 'exports:', '/** 1250 → "$12.50". */', 'formatCents(cents)'),
    );
    expect(skeleton('src/a.mjs', 'export default { start, stop };')).toBe(lines('exports:', 'export default { start, stop }'));
    expect(skeleton('src/view.jsx', 'export const View = ({ name }) => <p>{name}</p>;')).toBe(lines('exports:', 'const View = ({ name }) => …'));
    const script = "import { x } from './x.js';\nconsole.log(x);\nfunction main(argv) { return argv; }\nconst run = () => main([]);\n";
    expect(skeleton('bin/run.js', script)).toBe(lines('imports: 1 module (1 name)', 'function main(argv)', 'const run = () => …'));
  });
});

describe('skeletonOf: folding rules', () => {
  it('imports: one line that counts the modules and the names, require() and `import x =` included', () => {
    const source = `import a from 'a';
import * as b from 'b';
import { c, d as e } from './c.js';
import './side.js';
import type { T } from './c.js';
import x = require('x');
const { y, z } = require('yz');
export const v = 1;
`;
    expect(skeleton('src/imports.ts', source)).toBe(lines('imports: 6 modules (8 names)', 'exports:', 'const v = 1'));
    expect(skeleton('src/polyfill.ts', "import './polyfill.js';\nexport const v = 1;\n").split('\n')[0]).toBe('imports: 1 module (no names)');
  });

  it('exports: what the module does not export is one `not exported:` line of names; an export list counts as exporting', () => {
    const source = `export function pub(a: number) {}
function helper(b: string) {}
const util = (c: number) => c;
const LIMIT = 3;
interface Internal { a: string }
type Alias = string;
class Secret {}
enum Hidden { A }
namespace Space {}
export { helper as publicHelper };
`;
    expect(skeleton('src/internal.ts', source)).toBe(
      lines('exports:', 'pub(a: number)', 'helper(b: string)', 'export { helper as publicHelper }', 'not exported: util(), Internal, Alias, Secret, Hidden, Space'),
    );
    const many = Array.from({ length: 30 }, (_, index) => `function helper${index}() {}`).join('\n');
    const folded = skeleton('src/many.ts', `export const v = 1;\n${many}\n`).split('\n').at(-1) ?? '';
    expect(folded.length).toBeLessThanOrEqual(100);
    expect(folded).toMatch(/^not exported: helper0\(\), helper1\(\), .*, …\d+ more$/);
  });

  it('re-export lists: a long one keeps the names that fit and counts the rest; a local one keeps every name the file declares', () => {
    const source = `import { imported1, imported2, imported3, imported4, imported5, imported6, imported7 } from './i.js';
export { alpha, beta, gamma } from './short.js';
export { aaaaaaaaaa, bbbbbbbbbb, cccccccccc, dddddddddd, eeeeeeeeee, ffffffffff, gggggggggg } from './long.js';
export * from './all.js';
function localOne() {}
function localTwo() {}
export { imported1, imported2, imported3, imported4, localOne, imported5, imported6, imported7, localTwo };
`;
    expect(skeleton('src/index.ts', source)).toBe(
      lines(
        'imports: 1 module (7 names)',
        'exports:',
        "export { alpha, beta, gamma } from './short.js'",
        "export { aaaaaaaaaa, bbbbbbbbbb, cccccccccc, …4 more } from './long.js'",
        "export * from './all.js'",
        'localOne()',
        'localTwo()',
        'export { localOne, localTwo, imported1, imported2, imported3, …4 more }',
      ),
    );
  });

  it("doc comments: a function's first sentence, cut at 80 characters; @deprecated; none for other declarations; none with docs: false", () => {
    const source = `/** Sends the message to every connected client of the hub, in the order they joined, and waits. More. */
export function broadcast(message: string) {}
/** @deprecated Use broadcast. */
export function send(message: string) {}
/** A hub. Classes, types and variables that hold no function have no doc line. */
export class Hub {}
/** The limit. */
export const LIMIT = 3;
/** Doubles a number. */
export const double = (n: number) => n * 2;
`;
    expect(skeleton('src/docs.ts', source)).toBe(
      lines(
        'exports:',
        '/** Sends the message to every connected client of the hub, in the order they joine… */',
        'broadcast(message: string)',
        '/** @deprecated Use broadcast. */',
        'send(message: string)',
        'class Hub {}',
        'const LIMIT = 3',
        '/** Doubles a number. */',
        'const double = (n: number) => …',
      ),
    );
    expect(skeleton('src/docs.ts', source, { docs: false })).not.toContain('/**');
  });

  it('types: each kind folds from the outside in, says what it folded, and keeps what is short', () => {
    const source = `export function go(direction: 'north' | 'south' | 'east' | 'west' | 'up' | 'down') {}
export function find(id: LongTypeNameNumberOne | LongTypeNameNumberTwo | null | undefined) {}
export function request(options: RequestOptions<Record<string, unknown>, Map<string, number>>) {}
export function pair(point: { alpha: string; beta?: number }) {}
export function many(options: { a: string; b: number; c: boolean; d: string[]; e?: Map<string, number> }) {}
export function listen(callback: (error: Error | null, result: Map<string, number>) => void) {}
export function row(cells: [string, number, boolean, Map<string, string>]) {}
export function label(text: 'a literal that is longer than any budget for a type') {}
export function small(a: string, b?: number, c?: boolean | null): void {}
export type Kind<T> = T extends string ? 'text' : T extends number ? 'count' : never;
export type Keys<T> = { readonly [K in keyof T]: T[K] extends Function ? never : K };
`;
    expect(skeleton('src/types.ts', source)).toBe(
      lines(
        'exports:',
        "go(direction: 'north' | 'south' | …4 more)",
        'find(id: LongTypeNameNumberOne | …1 more | null | undefined)',
        'request(options: RequestOptions<…>)',
        'pair(point: { alpha: …; beta?: … })',
        'many(options: { …5 members })',
        'listen(callback: (error, result) => void)',
        'row(cells: […4 elements])',
        "label(text: 'a literal that is longer than any budget for a type')",
        'small(a: string, b?: number, c?: boolean | null): void',
        'type Kind<T> = T extends … ? … : …',
        'type Keys<T> = { [K in …]: … }',
      ),
    );
  });

  it('lines: a declaration longer than 70 characters has its types folded further, never its names', () => {
    const source =
      'export function open(endpoint: Endpoint<Production>, credentials: CredentialStore<Vault>, retry?: RetryPolicy<Exponential>): Promise<Session<Production>> {}\n';
    expect(skeleton('src/open.ts', source)).toBe(
      lines('exports:', 'open(endpoint: Endpoint<…>, credentials: CredentialStore<…>, retry?: RetryPolicy<…>): Promise<…>'),
    );
  });

  it('interfaces: members share lines; after 8 the rest are counted; long type parameters are their names', () => {
    const source = `export interface Settings<Model extends string = 'default', Store extends object = {}> {
  model: Model; store: Store; retries?: number; timeout?: number; verbose?: boolean;
  region: 'eu' | 'us'; name: string; tags: string[]; owner: string; created: Date; updated?: Date;
}
export interface Few { a: string; b: number }
export interface Emitter {
  on(event: 'open', listener: () => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  off(event: string): this;
}
`;
    expect(skeleton('src/settings.ts', source)).toBe(
      lines(
        'exports:',
        'interface Settings<Model…, Store…> {',
        '  model: Model; store: Store; retries?: number; timeout?: number; verbose?: boolean',
        "  region: 'eu' | 'us'; name: string; tags: string[]; …3 more members",
        '}',
        'interface Few { a: string; b: number }',
        'interface Emitter {',
        "  on(event: 'open', listener: () => void): this (+1 overload); off(event: string): this",
        '}',
      ),
    );
  });

  it('classes: overloads counted, the implementation left out; private by name; declare, override, public and ! left out', () => {
    const source = `export class Client {
  declare readonly kind: 'client';
  public name = 'x';
  ready!: boolean;
  override toString(): string { return ''; }
  send(message: string): void;
  send(message: Uint8Array, encoding: string): void;
  send(message: string | Uint8Array, encoding?: string): void {}
  protected retry(times: number) {}
  private cache = new Map();
}
`;
    expect(skeleton('src/client.ts', source)).toBe(
      lines(
        'exports:',
        'class Client {',
        "  readonly kind: 'client'",
        "  name = 'x'",
        '  ready: boolean',
        '  toString(): string',
        '  send(message: string): void (+1 overload)',
        '  protected retry(times: number)',
        '  private cache',
        '}',
      ),
    );
  });
});

/** The names a skeleton promises to keep: every exported name, and the parameters of exported functions and of exported classes' public methods. */
function promisedNames(fileName: string, text: string): string[] {
  const kind = fileName.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const has = (node: ts.Node, modifier: ts.SyntaxKind) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === modifier);
  const binding = (name: ts.BindingName): string[] =>
    ts.isIdentifier(name) ? [name.text] : name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : binding(element.name)));
  const parameters = (node: ts.SignatureDeclaration) => node.parameters.flatMap((parameter) => binding(parameter.name)).filter((name) => name !== 'this');
  const names: string[] = [];
  let previous: ts.Node | undefined;
  const overloadFollower = (node: ts.Node, before: ts.Node | undefined) =>
    before !== undefined && before.kind === node.kind && (before as ts.FunctionLikeDeclaration).body === undefined && (before as ts.FunctionLikeDeclaration).name?.getText() === (node as ts.FunctionLikeDeclaration).name?.getText();
  for (const statement of source.statements) {
    if (has(statement, ts.SyntaxKind.ExportKeyword)) {
      if (ts.isFunctionDeclaration(statement)) {
        if (statement.name) names.push(statement.name.text);
        if (!overloadFollower(statement, previous)) names.push(...parameters(statement));
      } else if (ts.isClassDeclaration(statement)) {
        if (statement.name) names.push(statement.name.text);
        let before: ts.ClassElement | undefined;
        for (const member of statement.members) {
          const hidden = has(member, ts.SyntaxKind.PrivateKeyword) || (member.name !== undefined && ts.isPrivateIdentifier(member.name));
          if (member.name && !ts.isComputedPropertyName(member.name)) names.push(member.name.getText());
          if (!hidden && ts.isFunctionLike(member) && !overloadFollower(member, before)) names.push(...parameters(member));
          before = member;
        }
      } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) {
        names.push(statement.name.text);
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          names.push(...binding(declaration.name));
          const value = declaration.initializer;
          if (value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value))) names.push(...parameters(value));
        }
      }
    }
    previous = statement;
  }
  return [...new Set(names)];
}

const escape = (name: string) => name.replace(/[$.*+?^(){}[\]|\\]/g, '\\$&');

function missingNames(fileName: string, text: string): string[] {
  const shown = skeletonOf(fileName, text);
  if (!shown.ok) throw new Error(shown.reason);
  return promisedNames(fileName, text).filter((name) => !new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`).test(shown.text));
}

describe('skeletonOf: what it always keeps', () => {
  it('every exported name and every parameter name of a folded fixture survives', () => {
    const source = `export function connect(endpoint: EndpointConfiguration<Production>, { retries, backoff }: RetryOptions<Exponential>, ...rest: Array<Map<string, unknown>>) {}
export function parse(text: string): number;
export function parse(text: string, radix: number): number;
export function parse(text: string, radix?: number): number { return 0; }
export const handler = async (request: IncomingMessage<WithBody<JsonValue>>, response: ServerResponse<IncomingMessage>) => {};
export class Pool<Resource extends Disposable = Disposable> {
  constructor(private readonly factory: () => Promise<Resource>, public readonly size: number) {}
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<Lease<Resource, PoolStatistics>> { return null!; }
}
export interface Options { a: string; b: string; c: string; d: string; e: string; f: string; g: string; h: string; i: string; j: string }
export type Mode = 'a' | 'b';
export enum Level { Low, High }
`;
    expect(missingNames('src/fixture.ts', source)).toEqual([]);
  });

  it('on real code: this repository, the demo workspace, zod and the Anthropic SDK', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const files = [
      ...['src/tools/skeleton.ts', 'src/tools/read-skeleton.ts', 'src/protocol/tool-inputs.ts', 'src/actors/engine.ts'],
      ...readdirSync(path.join(root, 'demo/workspace/src')).map((name) => `demo/workspace/src/${name}`),
      'node_modules/zod/src/v4/classic/schemas.ts',
      'node_modules/zod/src/v4/core/api.ts',
      'node_modules/zod/src/v3/types.ts',
      'node_modules/@anthropic-ai/sdk/src/resources/messages/messages.ts',
      'node_modules/@anthropic-ai/sdk/src/client.ts',
    ];
    for (const file of files) {
      expect({ file, missing: missingNames(file, readFileSync(path.join(root, file), 'utf8')) }).toEqual({ file, missing: [] });
    }
  });
});

describe('skeletonOf: what it cannot read', () => {
  it('gives what parsed from a file with syntax errors, with a note', () => {
    const result = skeletonOf('src/broken.ts', 'export function ok(a: string): number { return 1; }\nexport function bad(a: string {\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.syntaxErrors).toBeGreaterThan(0);
    const [note, exportsLine, first] = result.text.split('\n');
    expect(note).toBe(`(${result.syntaxErrors} syntax error${result.syntaxErrors === 1 ? '' : 's'}; the skeleton may be incomplete)`);
    expect([exportsLine, first]).toEqual(['exports:', 'ok(a: string): number']);
  });

  it('refuses other extensions, naming the ones it reads', () => {
    expect(skeletonOf('notes/readme.md', '# hi')).toEqual({
      ok: false,
      reason: '"notes/readme.md" is not TypeScript or JavaScript source: skeletons are made of .ts .tsx .mts .cts .js .jsx .mjs .cjs files',
    });
    expect(skeletonOf('Makefile', 'all:').ok).toBe(false);
  });
});

let workspace: string;
let context: ToolContext;

function put(relative: string, content: string): void {
  const file = path.join(workspace, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-skeleton-')));
  context = { workspace, allowedCommands: [], commandTimeoutMs: 5_000, maxOutputBytes: 64 * 1024 };
});

afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('read_skeleton', () => {
  const money = '// cents\n/** To cents. */\nexport function toCents(amount) {\n  return Math.round(Number(amount) * 100);\n}\n';

  it('is a tool the registry offers, with a path input', () => {
    expect(toolNames).toContain('read_skeleton');
    expect(toolSpecs(['read_skeleton'])[0]?.input_schema).toMatchObject({ required: ['path'], additionalProperties: false });
  });

  it('answers with a header that gives both sizes, then the skeleton', async () => {
    put('src/money.js', money);
    const skeletonText = 'exports:\n/** To cents. */\ntoCents(amount)';
    expect(await executeTool('read_skeleton', { path: 'src/money.js' }, context)).toEqual({
      content: `skeleton of "src/money.js" (${skeletonText.length} of ${money.length} characters; bodies left out, … marks what is folded):\n${skeletonText}`,
      is_error: false,
    });
  });

  it('writes large sizes with thousands separators', async () => {
    put('big.ts', `export const x = 1;\n${'// filler\n'.repeat(300)}`);
    const out = await executeTool('read_skeleton', { path: 'big.ts' }, context);
    expect(out.content.split('\n')[0]).toBe('skeleton of "big.ts" (20 of 3,020 characters; bodies left out, … marks what is folded):');
  });

  it('hostile: refuses a path that leads out of the workspace, as the other file tools do', async () => {
    const out = await executeTool('read_skeleton', { path: '../outside.ts' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/outside the workspace/);
  });

  it('a missing file, an unsupported one and a directory are tool errors', async () => {
    put('data.json', '{}');
    mkdirSync(path.join(workspace, 'src.ts'));
    expect(await executeTool('read_skeleton', { path: 'src/gone.ts' }, context)).toEqual({
      content: 'file not found: "src/gone.ts"; use list_files to see which files exist',
      is_error: true,
    });
    expect((await executeTool('read_skeleton', { path: 'data.json' }, context)).content).toMatch(/^"data.json" is not TypeScript or JavaScript source: .*\.ts .*\.cjs files; read_file/);
    expect((await executeTool('read_skeleton', { path: 'src.ts' }, context)).content).toMatch(/is a directory/);
  });

  it('caps a long skeleton at maxOutputBytes on a line boundary, with a marker', async () => {
    put('many.ts', Array.from({ length: 200 }, (_, index) => `export function f${index}(a: number): number { return a; }`).join('\n'));
    const out = await executeTool('read_skeleton', { path: 'many.ts' }, { ...context, maxOutputBytes: 1000 });
    expect(out.is_error).toBe(false);
    expect(Buffer.byteLength(out.content)).toBeLessThanOrEqual(1000);
    const shown = out.content.split('\n');
    expect(shown.at(-1)).toBe('[… skeleton truncated at 1000 bytes; read_file shows "many.ts" itself …]');
    expect(shown[1]).toBe('exports:');
    expect(shown.slice(2, -1).every((line) => /^f\d+\(a: number\): number$/.test(line))).toBe(true);
  });
});

describe('skeletonsFor', () => {
  it('gives a section per path, and one line for a missing, unsupported or refused one', async () => {
    put('src/money.js', 'export function toCents(amount) {\n  return 0;\n}\n');
    put('src/empty.js', 'console.log(1);\n');
    put('README.md', '# hi');
    const text = await skeletonsFor(context, ['src/money.js', 'src/gone.js', 'README.md', '../etc/passwd', 'src/empty.js']);
    expect(text.split('\n')).toEqual([
      '--- src/money.js (skeleton)',
      'exports:',
      'toCents(amount)',
      '--- src/gone.js (no skeleton: "src/gone.js" does not exist)',
      expect.stringMatching(/^--- README\.md \(no skeleton: "README\.md" is not TypeScript or JavaScript source: .*\)$/),
      expect.stringMatching(/^--- \.\.\/etc\/passwd \(no skeleton: the path "\.\.\/etc\/passwd" is outside the workspace/),
      '--- src/empty.js (skeleton: nothing declared)',
    ]);
  });

  it('caps the whole at 16 KiB with a marker that names the files it did not reach', async () => {
    const body = Array.from({ length: 250 }, (_, index) => `export function f${index}(a: number, b: string): number { return a; }`).join('\n');
    for (const name of ['a', 'b', 'c', 'd']) put(`src/${name}.ts`, body);
    const text = await skeletonsFor(context, ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts']);
    expect(SKELETONS_MAX_BYTES).toBe(16 * 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SKELETONS_MAX_BYTES);
    expect(text.startsWith('--- src/a.ts (skeleton)\nexports:\nf0(a: number, b: string): number\n')).toBe(true);
    expect(text).toContain('--- src/b.ts (skeleton)');
    expect(text.split('\n').at(-1)).toBe("[… skeletons cut at 16 KiB; not shown: src/c.ts, src/d.ts; read_skeleton shows a file's skeleton in full …]");
  });

  it('redacts the secrets of the context', async () => {
    put('src/key.ts', "export const KEY = 'sk-live-123';\n");
    const text = await skeletonsFor({ ...context, secrets: ['sk-live-123'] }, ['src/key.ts']);
    expect(text).not.toContain('sk-live-123');
  });

  it('an empty list gives an empty text', async () => {
    expect(await skeletonsFor(context, [])).toBe('');
  });
});
