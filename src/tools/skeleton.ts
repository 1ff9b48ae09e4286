import path from 'node:path';
import { createRequire } from 'node:module';
import type * as T from 'typescript';

/**
 * The compiler, loaded when a skeleton is first asked for: required, not imported, because an ES
 * import of its 9 MB CommonJS file costs every CLI start about 0.7 s (Node scans it for exports),
 * and most runs never read a skeleton.
 */
let compiler: typeof T | undefined;
const ts: typeof T = new Proxy({} as typeof T, {
  get: (_target, key) => (compiler ??= createRequire(import.meta.url)('typescript') as typeof T)[key as keyof typeof T],
});

/**
 * The skeleton of a module: the signatures of what it exports, bodies left out, for a model that
 * needs to know what a file offers and how to call it without reading all of it.
 *
 * Built on the TypeScript parser rather than on patterns, so that TS, TSX, JS and JSX read alike, a
 * declaration is what the compiler takes for one, and JSDoc types stand in for annotations in JS.
 * Always shown: every exported name, every function's and method's parameters by name, classes with
 * their public members. Whatever is folded says so with `…`, so that the reader knows read_file has
 * more. The rules (bench/skeleton.ts measures them on real code bases):
 * - Imports are not signatures: all of a file's imports (and CommonJS `require`s) are one line,
 *   `imports: 2 modules (3 names)`.
 * - In a module (a file that exports something), the exported declarations come under an `exports:`
 *   line without their `export` (or `declare`) keyword, a function as its name and signature
 *   (`toCents(amount)`, as a method is in a class), and the declarations it does not export are one
 *   line at the end, by name: `not exported: helper(), Cache`. `export default`, `export =` and export
 *   lists keep their keyword. A script, a .d.ts and a namespace's insides are shown as written.
 * - A re-export list (`export { a, b, c } from './x'`) longer than 80 characters keeps the names that
 *   fit and counts the rest (`export { a, b, …40 more } from './x'`); their signatures are in that
 *   module's skeleton. A local export list (`export { a, b }`) keeps every name the file declares.
 * - Only a function's doc comment is shown (what a call does is what its signature cannot say), as
 *   its first sentence cut at 80 characters in a `/** … *\/` line above it; a type's, a class's or a
 *   member's doc comment is not shown.
 * - A type is folded from the outside in until it fits its budget: a reference to its name
 *   (`RequestOptions<…>`), a union or intersection to the members that fit and `| …N more` (`| null`
 *   and `| undefined` stay), an object literal type to `{ a: …; b?: … }` or `{ …N members }`, a
 *   function type to its parameters' names, a conditional or mapped type to its shape, a tuple to its
 *   length. Budgets: 32 characters for a parameter's, a return, a member's or a variable's type and a
 *   type alias's right-hand side, 24 for a type parameter's constraint or an `extends` clause's type,
 *   12 for a type parameter's default. A type of 8 characters or fewer is never folded, nor is a type
 *   whose fold would be no shorter. A line still longer than 70 characters has its types folded
 *   further (to 32, 24, 16, 8 characters) until it fits; names are never folded.
 * - A destructured parameter shows its names, a default only when it is short (`{ round = true, base = … }`).
 * - An interface's or a type literal's type parameters, when long, are their names (`<T…, U>`), and
 *   after 8 members the rest are counted (`…12 more members`); members share lines up to 100 characters.
 * - An overloaded function or method shows its first signature and counts the others
 *   (`(+2 overloads)`); the implementation after overloads is not shown, as in a .d.ts.
 * - Private class members (`#x`, `private x`) are shown by name only (`#receive(…)`, `private cache`);
 *   `declare`, `override`, `public` and `!` on class members are left out (they do not change a call).
 * - Nothing inside a body, and no statement that declares nothing (a call, an if). A variable that is
 *   not exported is left out unless it holds a function.
 */

export type SkeletonResult = { ok: true; text: string; syntaxErrors: number } | { ok: false; reason: string };

export interface SkeletonOptions {
  /** Show the first sentence of each function's doc comment (default true). */
  docs?: boolean;
}

/** By name, so that knowing which files have a skeleton does not load the compiler. */
const scriptKinds: ReadonlyMap<string, 'TS' | 'TSX' | 'JS' | 'JSX'> = new Map([
  ['.ts', 'TS'],
  ['.tsx', 'TSX'],
  ['.mts', 'TS'],
  ['.cts', 'TS'],
  ['.js', 'JS'],
  ['.jsx', 'JSX'],
  ['.mjs', 'JS'],
  ['.cjs', 'JS'],
]);

export const skeletonExtensions: readonly string[] = [...scriptKinds.keys()];

/** Why `fileName` gets no skeleton, or undefined when its extension is one that is parsed. */
export function skeletonRefusal(fileName: string): string | undefined {
  if (scriptKinds.has(path.extname(fileName).toLowerCase())) return undefined;
  return `${JSON.stringify(fileName)} is not TypeScript or JavaScript source: skeletons are made of ${skeletonExtensions.join(' ')} files`;
}

export function skeletonOf(fileName: string, text: string, options: SkeletonOptions = {}): SkeletonResult {
  const name = scriptKinds.get(path.extname(fileName).toLowerCase());
  if (name === undefined) return { ok: false, reason: skeletonRefusal(fileName) ?? fileName };
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind[name]);
  const writer = new SkeletonWriter(source, name === 'JS' || name === 'JSX', options.docs ?? true);
  writer.imports(source.statements);
  writer.statements(source.statements, 0, source.isDeclarationFile);
  writer.typedefs(source.endOfFileToken, 0);
  const syntaxErrors = countSyntaxErrors(source);
  const note = syntaxErrors > 0 ? [`(${syntaxErrors} syntax error${syntaxErrors === 1 ? '' : 's'}; the skeleton may be incomplete)`] : [];
  return { ok: true, text: [...note, ...writer.lines].join('\n'), syntaxErrors };
}

/** The parser's own count, through a program of this one file (no lib, nothing resolved: cheap). */
function countSyntaxErrors(source: T.SourceFile): number {
  const host: T.CompilerHost = {
    getSourceFile: (name) => (name === source.fileName ? source : undefined),
    fileExists: (name) => name === source.fileName,
    readFile: () => undefined,
    writeFile: () => {},
    getDefaultLibFileName: () => 'lib.d.ts',
    getCurrentDirectory: () => '',
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
  };
  const options: T.CompilerOptions = { noLib: true, noResolve: true, types: [], allowJs: true };
  return ts.createProgram({ rootNames: [source.fileName], options, host }).getSyntacticDiagnostics(source).length;
}

let printer: T.Printer | undefined;
const printerOf = (): T.Printer => (printer ??= ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed }));
/** A line that joins several things (a block's members, the not-exported names) stops at this width. */
const ONE_LINE = 100;
/** A re-export list longer than this keeps the names that fit and counts the rest. */
const EXPORT_LIST_MAX = 80;
/** A declaration's line (a function, a member, a variable, a type alias, a header) longer than this has its types folded further. */
const LINE_MAX = 70;
/** The budgets a too-long line's types are capped at, one after the other, until it fits. */
const LINE_CAPS = [32, 24, 16, 8, 0];
/** A doc comment's first sentence is cut to this many characters. */
const DOC_MAX = 80;
/** A value shown as written (`= 32 * 1024`, `createLogger('hub')`) is at most this long. */
const VALUE_MAX = 40;
/** A type in a signature (a parameter's, a return, a member's, a variable's) or a type alias's right-hand side. */
const TYPE_MAX = 32;
/** A type parameter's constraint, an `extends`/`implements` clause's type; an interface's or type alias's type parameters. */
const CONSTRAINT_MAX = 24;
/** A type parameter's default. */
const DEFAULT_MAX = 12;
/** A type this short is never folded: folding it would save nothing. */
const SHORT_TYPE = 8;
/** A part of a folded type gets at least this many characters, so that its head shows. */
const PIECE_MIN = 12;
/** An interface or a type literal shows this many members; the rest are counted. */
const MEMBERS_MAX = 8;

type Signature = T.SignatureDeclaration & { body?: T.Node | undefined };

class SkeletonWriter {
  readonly lines: string[] = [];
  readonly #source: T.SourceFile;
  readonly #js: boolean;
  readonly #docs: boolean;
  /** Names that a statement of their own exports (`export { a }`, `export default a`, `module.exports = { a }`). */
  readonly #exported: ReadonlySet<string>;
  /** Names that the file's top-level statements declare without exporting them (imports aside). */
  readonly #declared: ReadonlySet<string>;
  /** Whether the top-level declarations being written are under `exports:`, without their `export`. */
  #inExports = false;
  /** The budget every type is capped at while `fit` shortens a line. */
  #cap = Infinity;

  constructor(source: T.SourceFile, js: boolean, docs: boolean) {
    this.#source = source;
    this.#js = js;
    this.#docs = docs;
    this.#exported = exportedNames(source);
    this.#declared = declaredNames(source.statements);
  }

  /** The one line that stands for all of the file's imports: `imports: 2 modules (3 names)`. */
  imports(list: readonly T.Statement[]): void {
    const modules = new Set<string>();
    let names = 0;
    for (const statement of list) {
      const found = importOf(statement);
      if (found === undefined) continue;
      modules.add(found.module);
      names += found.names;
    }
    if (modules.size === 0) return;
    this.line(0, `imports: ${plural(modules.size, 'module')} (${names === 0 ? 'no names' : plural(names, 'name')})`);
  }

  statements(list: readonly T.Statement[], depth: number, ambient: boolean): void {
    const module = depth === 0 && !ambient && hasExportSurface(list);
    const internal: string[] = [];
    if (module) {
      this.line(depth, 'exports:');
      this.#inExports = true;
    }
    for (const [index, statement] of list.entries()) {
      this.typedefs(statement, depth);
      if (followsOverload(statement, list[index - 1])) continue;
      const name = module ? this.internalName(statement) : undefined;
      if (name !== undefined) {
        if (name !== '' && !internal.includes(name)) internal.push(name);
      } else if (ts.isFunctionDeclaration(statement)) {
        this.functionDeclaration(statement, depth, overloadsAfter(list, index));
      } else {
        this.statement(statement, depth, ambient);
      }
    }
    if (module) this.#inExports = false;
    if (internal.length > 0) {
      const head = 'not exported: ';
      this.line(depth, `${head}${fitList(internal, ONE_LINE - head.length, (hidden) => `…${hidden} more`)}`);
    }
  }

  /**
   * For a top-level declaration that the module does not export: its name (`name()` for a function),
   * or '' when it would show nothing anyway (a variable that holds no function); undefined for a
   * statement that is exported or is no such declaration.
   */
  internalName(node: T.Statement): string | undefined {
    if (hasModifier(node, ts.SyntaxKind.ExportKeyword) || importOf(node) !== undefined) return undefined;
    const named = (name: T.Node | undefined, suffix = '') => {
      const text = nameText(name);
      return text === undefined || this.#exported.has(text) ? undefined : `${text}${suffix}`;
    };
    if (ts.isFunctionDeclaration(node)) return named(node.name, '()');
    if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node)) return named(node.name);
    if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name) && !(node.flags & ts.NodeFlags.GlobalAugmentation)) return named(node.name);
    if (ts.isVariableStatement(node)) {
      const names = node.declarationList.declarations.map((declaration) =>
        ts.isIdentifier(declaration.name) ? named(declaration.name, holdsFunction(declaration) ? '()' : '') : undefined,
      );
      if (names.some((name) => name === undefined)) return undefined;
      return names.filter((name) => name?.endsWith('()')).join(', ');
    }
    return undefined;
  }

  statement(node: T.Statement, depth: number, ambient: boolean): void {
    if (importOf(node) !== undefined) return;
    if (ts.isImportEqualsDeclaration(node) || ts.isNamespaceExportDeclaration(node)) {
      this.line(depth, withoutSemicolon(this.print(node)));
    } else if (ts.isExportDeclaration(node)) {
      this.line(depth, this.exportDeclaration(node, depth));
    } else if (ts.isExportAssignment(node)) {
      this.line(depth, `export ${node.isExportEquals ? '=' : 'default'} ${this.value(node.expression, true)}`);
    } else if (ts.isClassDeclaration(node)) {
      const header = `${this.modifiers(node, depth)}class${node.name ? ` ${node.name.text}` : ''}${this.typeParameters(node)}${this.heritage(node)}`;
      this.block(depth, header, this.classMembers(node.members), false);
    } else if (ts.isInterfaceDeclaration(node)) {
      const header = this.fit(LINE_MAX - 2, () => `${this.modifiers(node, depth)}interface ${node.name.text}${this.typeParameters(node, true)}${this.heritage(node)}`);
      this.block(depth, header, this.typeMembers(node.members), true);
    } else if (ts.isTypeAliasDeclaration(node)) {
      const header = `${this.modifiers(node, depth)}type ${node.name.text}${this.typeParameters(node, true)} =`;
      if (ts.isTypeLiteralNode(node.type)) this.block(depth, header, this.typeMembers(node.type.members), true);
      else this.line(depth, this.fit(LINE_MAX, () => `${header} ${this.type(node.type, TYPE_MAX)}`));
    } else if (ts.isEnumDeclaration(node)) {
      const members = node.members.map((member) => `${this.print(member.name)}${member.initializer ? ` = ${this.value(member.initializer)}` : ''}`);
      this.block(depth, `${this.modifiers(node, depth)}enum ${node.name.text}`, members, true, ', ');
    } else if (ts.isModuleDeclaration(node)) {
      this.moduleDeclaration(node, depth, ambient);
    } else if (ts.isVariableStatement(node)) {
      this.variableStatement(node, depth, ambient);
    } else if (ts.isExpressionStatement(node) && commonJsTarget(node) !== undefined) {
      const assignment = node.expression as T.BinaryExpression;
      if (ts.isFunctionExpression(skipWrappers(assignment.right)) || ts.isArrowFunction(skipWrappers(assignment.right))) this.doc(node, depth);
      this.line(depth, `${this.print(assignment.left)} = ${this.value(assignment.right, true)}`);
    }
  }

  functionDeclaration(node: T.FunctionDeclaration, depth: number, overloads: number): void {
    this.doc(node, depth);
    const end = overloads > 0 ? ` ${overloadCount(overloads)}` : '';
    // Under `exports:` a function is its name and signature, as a method is in a class: `toCents(amount)`.
    const bare = this.#inExports && depth === 0 && node.name !== undefined && !hasModifier(node, ts.SyntaxKind.DefaultKeyword);
    const keyword = bare ? (node.asteriskToken ? '*' : '') : `function${node.asteriskToken ? '*' : ''}${node.name ? ' ' : ''}`;
    const line = () => `${this.modifiers(node, depth)}${keyword}${node.name?.text ?? ''}${this.signature(node)}${end}`;
    this.line(depth, this.fit(LINE_MAX - indent(depth).length, line));
  }

  /**
   * `export { a, b } from './x'` as written when it fits on a line, else with the names that fit and
   * a count of the rest. A list without a module keeps every name that the file declares.
   */
  exportDeclaration(node: T.ExportDeclaration, depth: number): string {
    const clause = node.exportClause;
    if (!clause || !ts.isNamedExports(clause)) return withoutSemicolon(this.print(node));
    const from = node.moduleSpecifier ? ` from ${this.print(node.moduleSpecifier)}` : '';
    const head = `export ${node.isTypeOnly ? 'type ' : ''}{ `;
    const tail = ` }${from}`;
    const elements = clause.elements.map((specifier) => {
      const name = nameText(specifier.name) ?? this.print(specifier.name);
      const local = specifier.propertyName ? (nameText(specifier.propertyName) ?? this.print(specifier.propertyName)) : name;
      // `export { type A as A }` (the SDK's lists are full of them) as `export { type A }`.
      return { local, text: `${specifier.isTypeOnly ? 'type ' : ''}${local === name ? name : `${local} as ${name}`}` };
    });
    const width = EXPORT_LIST_MAX - indent(depth).length;
    const whole = `${head}${elements.map((entry) => entry.text).join(', ')}${tail}`;
    if (whole.length <= width) return whole;
    const kept = from === '' ? elements.filter((entry) => this.#declared.has(entry.local)) : [];
    const rest = elements.filter((entry) => !kept.includes(entry));
    const room = width - head.length - tail.length - kept.reduce((sum, entry) => sum + entry.text.length + 2, 0);
    const folded = rest.length === 0 ? [] : [fitList(rest.map((entry) => entry.text), room, (hidden) => `…${hidden} more`)];
    return `${head}${[...kept.map((entry) => entry.text), ...folded].join(', ')}${tail}`;
  }

  /** JSDoc `@typedef` and `@callback` tags: the type declarations of a JS file. */
  typedefs(node: T.Node, depth: number): void {
    if (!this.#js) return;
    // getChildren, not getJSDocCommentsAndTags: that one gives only the last comment before a node.
    for (const tag of node.getChildren(this.#source).flatMap((child) => (ts.isJSDoc(child) ? (child.tags ?? []) : []))) {
      if (ts.isJSDocTypedefTag(tag) && tag.name) {
        const type = tag.typeExpression;
        const shown = type === undefined ? 'unknown' : ts.isJSDocTypeExpression(type) ? this.type(type.type, TYPE_MAX) : this.jsDocTypeLiteral(type);
        this.line(depth, `type ${this.print(tag.name)} = ${shown}`);
      } else if (ts.isJSDocCallbackTag(tag) && tag.name) {
        const signature = tag.typeExpression;
        const parameters = signature.parameters.map((parameter) => this.jsDocProperty(parameter));
        const result = signature.type?.typeExpression ? this.type(signature.type.typeExpression.type, TYPE_MAX) : 'void';
        this.line(depth, `type ${this.print(tag.name)} = (${parameters.join(', ')}) => ${result}`);
      }
    }
  }

  jsDocTypeLiteral(literal: T.JSDocTypeLiteral): string {
    const members = (literal.jsDocPropertyTags ?? []).map((tag) => this.jsDocProperty(tag));
    return members.length === 0 ? 'object' : `{ ${members.join('; ')} }`;
  }

  jsDocProperty(tag: T.JSDocPropertyLikeTag): string {
    return `${this.print(tag.name)}${tag.isBracketed ? '?' : ''}${tag.typeExpression ? `: ${this.type(tag.typeExpression.type, TYPE_MAX)}` : ''}`;
  }

  classMembers(members: T.NodeArray<T.ClassElement>): Array<string | undefined> {
    return members.map((member, index) => {
      if (followsOverload(member, members[index - 1])) return undefined;
      const text = this.fit(LINE_MAX - 2, () => this.classMember(member) ?? '');
      const overloads = overloadsAfter(members, index);
      return text === '' ? undefined : overloads === 0 ? text : `${text} ${overloadCount(overloads)}`;
    });
  }

  classMember(member: T.ClassElement): string | undefined {
    const name = member.name ? this.print(member.name) : '';
    const hidden = isPrivate(member);
    const prefix = modifiers(member, [ts.SyntaxKind.DeclareKeyword, ts.SyntaxKind.OverrideKeyword, ts.SyntaxKind.PublicKeyword]);
    const signature = (node: Signature) => (hidden ? '(…)' : this.signature(node));
    if (ts.isConstructorDeclaration(member)) return `${prefix}constructor${signature(member)}`;
    if (ts.isMethodDeclaration(member)) return `${prefix}${member.asteriskToken ? '*' : ''}${name}${member.questionToken ? '?' : ''}${signature(member)}`;
    if (ts.isGetAccessorDeclaration(member)) return `${prefix}get ${name}${signature(member)}`;
    if (ts.isSetAccessorDeclaration(member)) return `${prefix}set ${name}${signature(member)}`;
    if (ts.isPropertyDeclaration(member)) return `${prefix}${name}${member.questionToken ? '?' : ''}${hidden ? '' : this.typeOrValue(member)}`;
    return ts.isIndexSignatureDeclaration(member) ? this.indexSignature(member) : undefined;
  }

  /** An interface's or a type literal's members (`name?: Type`), types folded, overloads counted, the first MEMBERS_MAX. */
  typeMembers(members: T.NodeArray<T.TypeElement>): Array<string | undefined> {
    const shown: string[] = [];
    for (const [index, member] of members.entries()) {
      const previous = members[index - 1];
      if (ts.isMethodSignature(member) && previous !== undefined && sameKindAndName(member, previous)) continue;
      let overloads = 0;
      while (ts.isMethodSignature(member) && sameKindAndName(members[index + overloads + 1], member)) overloads += 1;
      const text = this.fit(LINE_MAX - 2, () => this.typeMember(member));
      shown.push(overloads === 0 ? text : `${text} ${overloadCount(overloads)}`);
    }
    // Folding a single member would save nothing.
    return shown.length <= MEMBERS_MAX + 1 ? shown : [...shown.slice(0, MEMBERS_MAX), `…${shown.length - MEMBERS_MAX} more members`];
  }

  typeMember(member: T.TypeElement): string {
    const name = member.name ? this.print(member.name) : '';
    const optional = member.questionToken ? '?' : '';
    if (ts.isPropertySignature(member)) return `${modifiers(member)}${name}${optional}${member.type ? `: ${this.type(member.type, TYPE_MAX)}` : ''}`;
    if (ts.isMethodSignature(member)) return `${name}${optional}${this.signature(member)}`;
    if (ts.isCallSignatureDeclaration(member)) return this.signature(member);
    if (ts.isConstructSignatureDeclaration(member)) return `new ${this.signature(member)}`;
    if (ts.isIndexSignatureDeclaration(member)) return this.indexSignature(member);
    if (ts.isGetAccessorDeclaration(member)) return `get ${name}${this.signature(member)}`;
    if (ts.isSetAccessorDeclaration(member)) return `set ${name}${this.signature(member)}`;
    return withoutSemicolon(this.print(member));
  }

  indexSignature(node: T.IndexSignatureDeclaration): string {
    const parameters = node.parameters.map((parameter) => this.parameter(parameter)).join(', ');
    return `${modifiers(node)}[${parameters}]: ${this.type(node.type, TYPE_MAX)}`;
  }

  moduleDeclaration(node: T.ModuleDeclaration, depth: number, ambient: boolean): void {
    let name = this.print(node.name);
    let body = node.body;
    while (body && ts.isModuleDeclaration(body)) {
      name += `.${this.print(body.name)}`;
      body = body.body;
    }
    // `declare module 'x'` and `declare global` say what they are only with their `declare`.
    const global = (node.flags & ts.NodeFlags.GlobalAugmentation) !== 0;
    const keyword = global ? '' : !ts.isStringLiteral(node.name) && node.flags & ts.NodeFlags.Namespace ? 'namespace ' : 'module ';
    const header = `${ts.isIdentifier(node.name) && !global ? this.modifiers(node, depth) : modifiers(node)}${keyword}${name}`;
    if (!body || !ts.isModuleBlock(body)) {
      this.line(depth, header);
      return;
    }
    const inExports = this.#inExports;
    this.#inExports = false;
    this.line(depth, `${header} {`);
    this.statements(body.statements, depth + 1, ambient || hasModifier(node, ts.SyntaxKind.DeclareKeyword));
    this.line(depth, '}');
    this.#inExports = inExports;
  }

  variableStatement(node: T.VariableStatement, depth: number, ambient: boolean): void {
    const exported = ambient || hasModifier(node, ts.SyntaxKind.ExportKeyword) || hasModifier(node, ts.SyntaxKind.DeclareKeyword);
    const keyword = declarationKeyword(node.declarationList.flags);
    let documented = false;
    for (const declaration of node.declarationList.declarations) {
      const shown = exported || (ts.isIdentifier(declaration.name) && this.#exported.has(declaration.name.text)) || holdsFunction(declaration);
      if (!shown) continue;
      if (!documented && holdsFunction(declaration)) this.doc(node, depth);
      documented = true;
      this.line(depth, this.fit(LINE_MAX - indent(depth).length, () => `${this.modifiers(node, depth)}${keyword} ${this.bindingName(declaration.name)}${this.typeOrValue(declaration)}`));
    }
  }

  /** `<T>(a: A, b?: B): R`, from the annotations or, in JS, from JSDoc; long types folded. */
  signature(node: Signature): string {
    const parameters = node.parameters.map((parameter) => this.parameter(parameter)).join(', ');
    const returns = node.type ?? (this.#js ? ts.getJSDocReturnType(node) : undefined);
    return `${this.typeParameters(node)}(${parameters})${returns ? `: ${this.type(returns, TYPE_MAX)}` : ''}`;
  }

  parameter(node: T.ParameterDeclaration): string {
    const type = node.type ?? (this.#js ? ts.getJSDocType(node) : undefined);
    const bracketed = this.#js && ts.getJSDocParameterTags(node).some((tag) => tag.isBracketed);
    // With a type, a default value shows as `?`; without one, the value tells what is expected.
    const optional = node.questionToken !== undefined || bracketed || (node.initializer !== undefined && type !== undefined);
    const shownType = type ? `: ${this.type(type, TYPE_MAX)}` : node.initializer ? ` = ${this.value(node.initializer)}` : '';
    return `${modifiers(node)}${node.dotDotDotToken ? '...' : ''}${this.bindingName(node.name)}${optional ? '?' : ''}${shownType}`;
  }

  /** A parameter's or variable's name; a destructuring pattern with its names, a default only when short (`{ round = true, base = … }`). */
  bindingName(name: T.BindingName): string {
    if (ts.isIdentifier(name)) return name.text;
    const elements = name.elements.map((element) => {
      if (ts.isOmittedExpression(element)) return '';
      const key = element.propertyName ? `${this.print(element.propertyName)}: ` : '';
      const fallback = element.initializer ? this.value(element.initializer) : undefined;
      const shown = fallback === undefined ? '' : ` = ${fallback.length <= DEFAULT_MAX ? fallback : '…'}`;
      return `${element.dotDotDotToken ? '...' : ''}${key}${this.bindingName(element.name)}${shown}`;
    });
    return ts.isObjectBindingPattern(name) ? (elements.length === 0 ? '{}' : `{ ${elements.join(', ')} }`) : `[${elements.join(', ')}]`;
  }

  /**
   * `<T extends C = D>`, the constraint and default folded. With `namesOnly` (an interface's or a type
   * alias's), a list longer than CONSTRAINT_MAX is its names, `…` after one that has more (`<T…, U>`).
   */
  typeParameters(node: T.DeclarationWithTypeParameterChildren | Signature, namesOnly = false): string {
    const list = ts.getEffectiveTypeParameterDeclarations(node);
    if (list.length === 0) return '';
    if (namesOnly) {
      const written = `<${list.map((parameter) => this.print(parameter)).join(', ')}>`;
      if (written.length <= CONSTRAINT_MAX) return written;
      return `<${list.map((parameter) => `${modifiers(parameter)}${parameter.name.text}${parameter.constraint || parameter.default ? '…' : ''}`).join(', ')}>`;
    }
    const shown = list.map((parameter) => {
      const constraint = parameter.constraint ? ` extends ${this.type(parameter.constraint, CONSTRAINT_MAX)}` : '';
      const fallback = parameter.default ? this.print(parameter.default) : undefined;
      const defaultText = fallback === undefined ? '' : ` = ${fallback.length <= DEFAULT_MAX ? fallback : '…'}`;
      return `${modifiers(parameter)}${parameter.name.text}${constraint}${defaultText}`;
    });
    return `<${shown.join(', ')}>`;
  }

  heritage(node: T.ClassLikeDeclaration | T.InterfaceDeclaration): string {
    return (node.heritageClauses ?? [])
      .map((clause) => ` ${ts.tokenToString(clause.token) ?? ''} ${clause.types.map((type) => this.type(type, CONSTRAINT_MAX)).join(', ')}`)
      .join('');
  }

  /** `: Type` when one is written (a JSDoc @type in JS), else ` = <short value>`, else nothing. */
  typeOrValue(node: T.VariableDeclaration | T.PropertyDeclaration): string {
    const type = node.type ?? (this.#js ? ts.getJSDocType(node) : undefined);
    if (type) return `: ${this.type(type, TYPE_MAX)}`;
    return node.initializer ? ` = ${this.value(node.initializer)}` : '';
  }

  /** `make()`, made again with every type's budget capped lower (LINE_CAPS) until it fits in `width` or no cap is left. */
  fit(width: number, make: () => string): string {
    let text = make();
    for (const cap of LINE_CAPS) {
      if (text.length <= width) break;
      this.#cap = cap;
      text = make();
    }
    this.#cap = Infinity;
    return text;
  }

  /** The type as written when it fits in `wanted` characters (or the line's cap), else folded (with `…`) until it does. */
  type(node: T.TypeNode, wanted: number): string {
    const budget = Math.max(SHORT_TYPE, Math.min(wanted, this.#cap));
    const text = this.print(node);
    if (text.length <= budget) return text;
    // A fold that is no shorter than what it hides would only hide it.
    const folded = this.foldType(node, budget);
    return folded.length < text.length ? folded : text;
  }

  foldType(node: T.TypeNode, budget: number): string {
    if (ts.isParenthesizedTypeNode(node)) return `(${this.type(node.type, budget - 2)})`;
    if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) return this.foldMembers(node, budget);
    if (ts.isTypeLiteralNode(node)) return this.foldLiteral(node, budget);
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = this.print(ts.isTypeReferenceNode(node) ? node.typeName : node.expression);
      return node.typeArguments ? `${name}<${this.foldArguments(node.typeArguments, budget - name.length - 2)}>` : name;
    }
    if (ts.isArrayTypeNode(node)) return `${this.type(node.elementType, budget - 2)}[]`;
    if (ts.isFunctionTypeNode(node) || ts.isConstructorTypeNode(node)) {
      const names = node.parameters.map((parameter) => `${parameter.dotDotDotToken ? '...' : ''}${this.print(parameter.name)}`).join(', ');
      const head = `${ts.isConstructorTypeNode(node) ? 'new ' : ''}${node.typeParameters ? '<…>' : ''}(${names}) => `;
      return `${head}${this.type(node.type, Math.max(PIECE_MIN, budget - head.length))}`;
    }
    if (ts.isTypeOperatorNode(node)) {
      const operator = ts.tokenToString(node.operator) ?? '';
      return `${operator} ${this.type(node.type, budget - operator.length - 1)}`;
    }
    if (ts.isTypeQueryNode(node)) return `typeof ${this.print(node.exprName)}${node.typeArguments ? '<…>' : ''}`;
    if (ts.isIndexedAccessTypeNode(node)) return `${this.type(node.objectType, Math.max(PIECE_MIN, budget - 3))}[…]`;
    if (ts.isTupleTypeNode(node)) return `[…${plural(node.elements.length, 'element')}]`;
    if (ts.isConditionalTypeNode(node)) {
      const check = this.print(node.checkType);
      return check.length <= PIECE_MIN ? `${check} extends … ? … : …` : '…';
    }
    if (ts.isMappedTypeNode(node)) return `{ [${node.typeParameter.name.text} in …]: … }`;
    if (ts.isTypePredicateNode(node)) {
      const head = `${node.assertsModifier ? 'asserts ' : ''}${this.print(node.parameterName)}`;
      return node.type ? `${head} is ${this.type(node.type, Math.max(PIECE_MIN, budget - head.length - 4))}` : head;
    }
    if (ts.isImportTypeNode(node)) {
      const qualifier = node.qualifier ? `.${this.print(node.qualifier)}` : '';
      return `${node.isTypeOf ? 'typeof ' : ''}import(${this.print(node.argument)})${qualifier}${node.typeArguments ? '<…>' : ''}`;
    }
    // A literal (`'a long string'`) or a keyword cannot be folded into anything the reader could use.
    if (ts.isLiteralTypeNode(node) || node.kind === ts.SyntaxKind.ThisType) return this.print(node);
    return '…';
  }

  /**
   * A union or intersection as the members that fit in `budget` and a count of the rest; `null` and
   * `undefined` in a union are always shown, at the end.
   */
  foldMembers(node: T.UnionTypeNode | T.IntersectionTypeNode, budget: number): string {
    const separator = ts.isUnionTypeNode(node) ? ' | ' : ' & ';
    const nullish = ts.isUnionTypeNode(node) ? node.types.filter(isNullish) : [];
    const others = node.types.filter((type) => !nullish.includes(type));
    const end = nullish.map((type) => `${separator}${this.print(type)}`).join('');
    const shown: string[] = [];
    let used = end.length;
    for (const [index, type] of others.entries()) {
      const after = others.length - index - 1;
      const more = after > 0 ? `${separator}…${after} more`.length : 0;
      const room = budget - used - more - (shown.length > 0 ? separator.length : 0);
      if (shown.length > 0 && room < PIECE_MIN) break;
      const text = this.type(type, Math.max(PIECE_MIN, room));
      if (shown.length > 0 && text.length > room) break;
      shown.push(text);
      used += text.length + (shown.length > 1 ? separator.length : 0);
    }
    const hidden = others.slice(shown.length).map((type) => this.print(type));
    const marker = `…${hidden.length} more`;
    const rest = hidden.join(separator);
    return `${[...shown, ...(hidden.length === 0 ? [] : [rest.length <= marker.length ? rest : marker])].join(separator)}${end}`;
  }

  /** Type arguments folded to share `budget`, or `…` when they do not fit in it. */
  foldArguments(list: T.NodeArray<T.TypeNode>, budget: number): string {
    const share = Math.floor((budget - 2 * (list.length - 1)) / list.length);
    const text = list.map((type) => this.type(type, share)).join(', ');
    return text.length <= budget ? text : '…';
  }

  /** `{ a: …; b?: … }` when the names fit in `budget`, else `{ …N members }`. */
  foldLiteral(node: T.TypeLiteralNode, budget: number): string {
    const names = node.members.map((member) => {
      const name = member.name ? this.print(member.name) : undefined;
      const optional = member.questionToken ? '?' : '';
      if (ts.isPropertySignature(member) && name !== undefined) return `${name}${optional}: …`;
      if (ts.isMethodSignature(member) && name !== undefined) return `${name}${optional}(…): …`;
      return undefined;
    });
    const text = `{ ${names.join('; ')} }`;
    if (names.every((name) => name !== undefined) && text.length <= budget) return text;
    return `{ …${plural(node.members.length, 'member')} }`;
  }

  /**
   * A value in a few characters: a function's signature, a literal or name as written when it is
   * short, else its kind (`{…}`, `[…]`, `new Map(…)`). With `keys`, an object literal lists its keys
   * (what `module.exports = {…}` and `export default {…}` export).
   */
  value(expression: T.Expression, keys = false): string {
    let node = expression;
    while (ts.isParenthesizedExpression(node)) node = node.expression;
    if (ts.isArrowFunction(node)) return `${modifiers(node)}${this.signature(node)} => …`;
    if (ts.isFunctionExpression(node)) {
      return `${modifiers(node)}function${node.asteriskToken ? '*' : ''}${node.name ? ` ${node.name.text}` : ''}${this.signature(node)}`;
    }
    if (ts.isClassExpression(node)) return `class${node.name ? ` ${node.name.text}` : ''}${this.heritage(node)} {…}`;
    if (ts.isObjectLiteralExpression(node)) return keys || node.properties.length === 0 ? this.objectKeys(node) : '{…}';
    if (ts.isArrayLiteralExpression(node)) return node.elements.length === 0 ? '[]' : '[…]';
    if (ts.isAsExpression(node)) return `${this.value(node.expression)} as ${this.type(node.type, TYPE_MAX)}`;
    if (ts.isSatisfiesExpression(node)) return `${this.value(node.expression)} satisfies ${this.type(node.type, TYPE_MAX)}`;
    if (ts.isNewExpression(node)) {
      const typeArguments = node.typeArguments ? `<${this.foldArguments(node.typeArguments, TYPE_MAX)}>` : '';
      return `new ${this.short(node.expression) ?? '…'}${typeArguments}(…)`;
    }
    if (ts.isCallExpression(node)) {
      // `createLogger('hub')` as written; a call with more in it by its callee.
      const callee = this.short(node.expression) ?? '…';
      const written = node.arguments.map((argument) => this.short(argument));
      const call = `${callee}(${written.join(', ')})`;
      return written.every((argument) => argument !== undefined) && call.length <= VALUE_MAX ? call : `${callee}(…)`;
    }
    if (ts.isTemplateExpression(node)) return '`…`';
    return this.short(node) ?? '…';
  }

  /** Literals, names and arithmetic on them as written, when short; undefined otherwise. */
  short(node: T.Expression): string | undefined {
    if (!isPlain(node)) return undefined;
    const text = this.print(node);
    return text.length <= VALUE_MAX ? text : undefined;
  }

  objectKeys(node: T.ObjectLiteralExpression): string {
    const keys = node.properties.map((property) =>
      ts.isSpreadAssignment(property) ? `...${this.short(property.expression) ?? '…'}` : property.name ? this.print(property.name) : '…',
    );
    return keys.length === 0 ? '{}' : `{ ${keys.join(', ')} }`;
  }

  /**
   * `header { a; b }` on one line when it fits in ONE_LINE, else the header, the members (with `pack`,
   * as many to a line as fit in ONE_LINE; else one a line) and `}`. An undefined member is not shown.
   */
  block(depth: number, header: string, members: ReadonlyArray<string | undefined>, pack: boolean, separator = '; '): void {
    const shown = members.filter((text) => text !== undefined);
    if (shown.length === 0) return this.line(depth, `${header} {}`);
    const joined = `${header} { ${shown.join(separator)} }`;
    if (indent(depth).length + joined.length <= ONE_LINE) return this.line(depth, joined);
    this.line(depth, `${header} {`);
    const width = ONE_LINE - indent(depth + 1).length;
    let current = '';
    for (const text of shown) {
      if (current !== '' && (!pack || current.length + separator.length + text.length > width)) {
        this.line(depth + 1, current);
        current = '';
      }
      current = current === '' ? text : `${current}${separator}${text}`;
    }
    this.line(depth + 1, current);
    this.line(depth, '}');
  }

  /** The first sentence of the node's doc comment (and whether it is deprecated), as a line of its own. */
  doc(node: T.Node, depth: number): void {
    if (!this.#docs) return;
    const own = ts.getJSDocCommentsAndTags(node).filter((doc): doc is T.JSDoc => ts.isJSDoc(doc) && !(doc.tags ?? []).some(isTypedef));
    const last = own.at(-1);
    if (!last) return;
    const deprecated = (last.tags ?? []).find((tag) => ts.isJSDocDeprecatedTag(tag));
    const summary = ts.getTextOfJSDocComment(last.comment) ?? '';
    // `@deprecated Use x.` alone: its reason is the summary.
    const reason = deprecated && summary.trim() === '' ? (ts.getTextOfJSDocComment(deprecated.comment) ?? '') : summary;
    const text = `${deprecated ? '@deprecated ' : ''}${firstSentence(reason)}`.trim();
    if (text !== '') this.line(depth, `/** ${text} */`);
  }

  /** A declaration's modifiers, without `export` and `declare` when it is written under `exports:`. */
  modifiers(node: T.Node, depth: number): string {
    if (!this.#inExports || depth !== 0 || hasModifier(node, ts.SyntaxKind.DefaultKeyword)) return modifiers(node);
    return modifiers(node, [ts.SyntaxKind.ExportKeyword, ts.SyntaxKind.DeclareKeyword]);
  }

  line(depth: number, text: string): void {
    this.lines.push(`${indent(depth)}${text}`);
  }

  /** The node as the printer writes it, without comments and with every type literal on one line. */
  print(node: T.Node): string {
    markSingleLine(node);
    return printerOf().printNode(ts.EmitHint.Unspecified, node, this.#source);
  }
}

function markSingleLine(node: T.Node): void {
  if (ts.isTypeLiteralNode(node) || ts.isMappedTypeNode(node) || ts.isTupleTypeNode(node)) ts.setEmitFlags(node, ts.EmitFlags.SingleLine);
  ts.forEachChild(node, markSingleLine);
}

const indent = (depth: number): string => '  '.repeat(depth);

/**
 * `items` joined with `, ` in at most `width` characters: as many as fit, then `more(hidden)` for the
 * rest (at least one item is shown).
 */
function fitList(items: readonly string[], width: number, more: (hidden: number) => string): string {
  const shown: string[] = [];
  let used = 0;
  for (const [index, item] of items.entries()) {
    const after = items.length - index - 1;
    const reserve = after > 0 ? more(after).length + 2 : 0;
    if (shown.length > 0 && used + 2 + item.length + reserve > width) break;
    shown.push(item);
    used += item.length + (shown.length > 1 ? 2 : 0);
  }
  const hidden = items.length - shown.length;
  return [...shown, ...(hidden > 0 ? [more(hidden)] : [])].join(', ');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const overloadCount = (n: number): string => `(+${plural(n, 'overload')})`;

/** A printed statement without the `;` that ends it: a skeleton's lines end without one. */
const withoutSemicolon = (text: string): string => (text.endsWith(';') ? text.slice(0, -1) : text);

/** The node's modifiers as written (`export async `), but those of the `left` kinds. */
function modifiers(node: T.Node, left: readonly T.SyntaxKind[] = []): string {
  const list = ts.canHaveModifiers(node) ? (ts.getModifiers(node) ?? []) : [];
  return list
    .filter((modifier) => !left.includes(modifier.kind))
    .map((modifier) => `${ts.tokenToString(modifier.kind)} `)
    .join('');
}

/** A variable declaration whose value is a function (`const f = () => …`). */
function holdsFunction(declaration: T.VariableDeclaration): boolean {
  const value = declaration.initializer && skipWrappers(declaration.initializer);
  return value !== undefined && (ts.isArrowFunction(value) || ts.isFunctionExpression(value));
}

function hasModifier(node: T.Node, kind: T.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
}

function isPrivate(member: T.ClassElement): boolean {
  return (member.name !== undefined && ts.isPrivateIdentifier(member.name)) || hasModifier(member, ts.SyntaxKind.PrivateKeyword);
}

function isTypedef(tag: T.JSDocTag): boolean {
  return ts.isJSDocTypedefTag(tag) || ts.isJSDocCallbackTag(tag);
}

function isNullish(type: T.TypeNode): boolean {
  return type.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword);
}

function declarationKeyword(flags: T.NodeFlags): string {
  if ((flags & ts.NodeFlags.AwaitUsing) === ts.NodeFlags.AwaitUsing) return 'await using';
  if (flags & ts.NodeFlags.Using) return 'using';
  if (flags & ts.NodeFlags.Const) return 'const';
  return flags & ts.NodeFlags.Let ? 'let' : 'var';
}

/**
 * What an import statement brings in, for the imports line: its module and how many names it binds.
 * ES imports, `import x = require('y')`, and a CommonJS `const x = require('y')` that is not exported.
 */
function importOf(node: T.Statement): { module: string; names: number } | undefined {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    const clause = node.importClause;
    const bindings = clause?.namedBindings;
    const named = bindings === undefined ? 0 : ts.isNamespaceImport(bindings) ? 1 : bindings.elements.length;
    return { module: node.moduleSpecifier.text, names: (clause?.name ? 1 : 0) + named };
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
    return hasModifier(node, ts.SyntaxKind.ExportKeyword) ? undefined : { module: node.moduleReference.expression.text, names: 1 };
  }
  if (ts.isVariableStatement(node) && !hasModifier(node, ts.SyntaxKind.ExportKeyword) && node.declarationList.declarations.length === 1) {
    const declaration = node.declarationList.declarations[0];
    const module = declaration?.initializer && requiredModule(skipWrappers(declaration.initializer));
    if (declaration === undefined || module === undefined) return undefined;
    return { module, names: ts.isIdentifier(declaration.name) ? 1 : declaration.name.elements.length };
  }
  return undefined;
}

/** Whether the statements export anything: ES exports or CommonJS `module.exports`/`exports.x`. */
function hasExportSurface(list: readonly T.Statement[]): boolean {
  return list.some(
    (statement) =>
      hasModifier(statement, ts.SyntaxKind.ExportKeyword) ||
      ts.isExportDeclaration(statement) ||
      ts.isExportAssignment(statement) ||
      (ts.isExpressionStatement(statement) && commonJsTarget(statement) !== undefined),
  );
}

/** The top-level names a file declares without exporting them (imports aside): a local export list keeps these. */
function declaredNames(list: readonly T.Statement[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const statement of list) {
    if (importOf(statement) !== undefined || hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)) &&
      statement.name !== undefined &&
      ts.isIdentifier(statement.name)
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** An implementation or a further overload after an overload signature of the same name. */
function followsOverload(node: T.Node, previous: T.Node | undefined): boolean {
  if (previous === undefined || !sameKindAndName(node, previous)) return false;
  return (previous as T.FunctionLikeDeclaration).body === undefined;
}

/** How many overload signatures follow the one at `index` (the implementation after them is not one). */
function overloadsAfter(list: readonly T.Node[], index: number): number {
  const first = list[index];
  if (first === undefined || (first as T.FunctionLikeDeclaration).body !== undefined) return 0;
  let count = 0;
  for (let next = index + 1; next < list.length; next += 1) {
    const node = list[next];
    if (!sameKindAndName(node, first)) break;
    if ((node as T.FunctionLikeDeclaration).body !== undefined) break;
    count += 1;
  }
  return count;
}

/** Two functions, methods or constructors of one name: overloads of each other. */
function sameKindAndName(node: T.Node | undefined, other: T.Node): boolean {
  if (node === undefined || node.kind !== other.kind) return false;
  if (ts.isConstructorDeclaration(node)) return true;
  if (!ts.isFunctionDeclaration(node) && !ts.isMethodDeclaration(node) && !ts.isMethodSignature(node)) return false;
  return sameName(node, other as typeof node);
}

function sameName(node: T.Node & { name?: T.Node | undefined }, other: T.Node & { name?: T.Node | undefined }): boolean {
  const name = nameText(node.name);
  return name !== undefined && name === nameText(other.name);
}

function nameText(name: T.Node | undefined): string | undefined {
  if (name === undefined) return undefined;
  return ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : undefined;
}

/** The expression inside parentheses, `as`, `satisfies`, `<T>` and `!`. */
function skipWrappers(node: T.Expression): T.Expression {
  let inner = node;
  while (ts.isParenthesizedExpression(inner) || ts.isAsExpression(inner) || ts.isSatisfiesExpression(inner) || ts.isTypeAssertionExpression(inner) || ts.isNonNullExpression(inner)) {
    inner = inner.expression;
  }
  return inner;
}

/** Literals, names, property chains and operators on them: values short enough to show as written. */
function isPlain(node: T.Expression): boolean {
  if (ts.isLiteralExpression(node) || ts.isIdentifier(node)) return true;
  if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword, ts.SyntaxKind.ThisKeyword].includes(node.kind)) return true;
  if (ts.isPropertyAccessExpression(node) || ts.isParenthesizedExpression(node)) return isPlain(node.expression);
  if (ts.isPrefixUnaryExpression(node)) return isPlain(node.operand);
  return ts.isBinaryExpression(node) && isPlain(node.left) && isPlain(node.right);
}

/** For `require('x')`, or a property of it (`require('x').y`): 'x'. */
function requiredModule(node: T.Expression): string | undefined {
  let target = node;
  while (ts.isPropertyAccessExpression(target)) target = target.expression;
  if (!ts.isCallExpression(target) || !isIdentifierNamed(target.expression, 'require')) return undefined;
  const [argument] = target.arguments;
  return argument !== undefined && ts.isStringLiteralLike(argument) ? argument.text : undefined;
}

function isIdentifierNamed(node: T.Node, name: string): boolean {
  return ts.isIdentifier(node) && node.text === name;
}

function isModuleExports(node: T.Node): boolean {
  return ts.isPropertyAccessExpression(node) && isIdentifierNamed(node.expression, 'module') && node.name.text === 'exports';
}

/** For `module.exports = x`, `module.exports.a = x` or `exports.a = x`: x. */
function commonJsTarget(node: T.ExpressionStatement): T.Expression | undefined {
  const assignment = node.expression;
  if (!ts.isBinaryExpression(assignment) || assignment.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const left = assignment.left;
  const exports = isModuleExports(left) || (ts.isPropertyAccessExpression(left) && (isModuleExports(left.expression) || isIdentifierNamed(left.expression, 'exports')));
  return exports ? assignment.right : undefined;
}

/** The local names that a statement of their own exports: `export { a }`, `export default a`, CommonJS. */
function exportedNames(source: T.SourceFile): ReadonlySet<string> {
  const names = new Set<string>();
  const add = (node: T.Node | undefined) => {
    if (node !== undefined && ts.isIdentifier(node)) names.add(node.text);
  };
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) add(element.propertyName ?? element.name);
    } else if (ts.isExportAssignment(statement)) {
      add(statement.expression);
    } else if (ts.isExpressionStatement(statement)) {
      const value = commonJsTarget(statement);
      if (value && ts.isObjectLiteralExpression(value)) {
        for (const property of value.properties) add(ts.isShorthandPropertyAssignment(property) ? property.name : ts.isPropertyAssignment(property) ? property.initializer : undefined);
      } else {
        add(value);
      }
    }
  }
  return names;
}

const ABBREVIATIONS = new Set(['e.g.', 'i.e.', 'etc.', 'vs.', 'cf.']);

/** A doc comment's first sentence (up to a full stop that ends one, or a blank line), on one line, cut at DOC_MAX. */
export function firstSentence(comment: string): string {
  const paragraph = comment.replaceAll('\r\n', '\n').split('\n\n')[0] ?? '';
  const kept: string[] = [];
  for (const word of paragraph.split(/\s+/)) {
    if (word === '') continue;
    kept.push(word);
    const bare = (word.startsWith('(') ? word.slice(1) : word).toLowerCase();
    if ('.!?'.includes(word.at(-1) ?? ' ') && !ABBREVIATIONS.has(bare)) break;
  }
  const sentence = kept.join(' ');
  return sentence.length <= DOC_MAX ? sentence : `${sentence.slice(0, DOC_MAX - 1)}…`;
}
