import type { core, z } from 'zod';
import { describeValue, list, splitPath, tableName, tomlKey, valueAt } from './describe.js';
import type { ConfigIssue } from './issues.js';
import { locate, locateTable, type PathPart, type SourceMap } from './locate.js';
import { enumValues, expectedKind, keysAt, numericBounds, schemaAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';

/**
 * Turns zod issues into positioned, human messages. zod's own messages ("Invalid input: expected
 * number, received string") name neither the key nor the file; these say where, what was expected
 * and what was found, in TOML's words.
 */

export interface IssueContext {
  file: string;
  map: SourceMap;
  /** The parsed TOML, to quote the offending value and to tell tables from arrays. */
  data: unknown;
  schema: z.ZodType;
  /** Per array key, the noun for an unknown enum member: { tools: 'tool' } gives `unknown tool "x"`. */
  nouns?: Record<string, string>;
}

export function fromZodIssues(issues: readonly core.$ZodIssue[], ctx: IssueContext): ConfigIssue[] {
  return issues.flatMap((issue) => convert(issue, ctx));
}

const article = (kind: string): string => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

function convert(issue: core.$ZodIssue, ctx: IssueContext): ConfigIssue[] {
  const path: PathPart[] = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
  const value = valueAt(ctx.data, path);
  const leaf = schemaAt(ctx.schema, path, ctx.data);
  const { table, label } = splitPath(path, ctx.data);
  const where = table.length === 0 ? label : `${label} in ${tableName(table, ctx.data)}`;
  const last = path[path.length - 1];
  // An array element is pointed at directly (arrays may span lines); anything else at its key.
  const here = locate(ctx.map, path, typeof last === 'number' ? 'value' : 'key');
  const issueAt = (at: { line: number; column: number }, message: string): ConfigIssue => ({
    file: ctx.file,
    line: at.line,
    column: at.column,
    message,
  });
  const missing = (expected: string): ConfigIssue => {
    const parent = path.slice(0, -1);
    const key = typeof last === 'string' ? last : String(last);
    const inTable = parent.length === 0 ? 'at the top level' : `in ${tableName(parent, ctx.data)}`;
    return issueAt(locateTable(ctx.map, parent), `missing required key "${key}" ${inTable}; expected ${expected}`);
  };

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(ctx.schema, path, ctx.data).filter((key) => !issue.keys.includes(key));
      const inTable = path.length === 0 ? 'at the top level' : `in ${tableName(path, ctx.data)}`;
      return issue.keys.map((key) =>
        issueAt(
          locate(ctx.map, [...path, key], 'key'),
          `unknown key "${key}" ${inTable}; expected one of ${list(allowed.map(tomlKey))}${didYouMean(key, allowed)}`,
        ),
      );
    }
    case 'invalid_type': {
      const kind = expectedKind(leaf, issue.expected);
      if (value === undefined) {
        if (kind === 'table' && typeof last === 'string') {
          return [issueAt(locateTable(ctx.map, path.slice(0, -1)), `missing required table [${tomlKey(last)}]`)];
        }
        const isArrayOfTables = kind === 'array' && expectedKind(schemaAt(ctx.schema, [...path, 0], ctx.data)) === 'table';
        if (isArrayOfTables && typeof last === 'string') {
          return [issueAt(locateTable(ctx.map, path.slice(0, -1)), `missing [[${tomlKey(last)}]]; expected at least one [[${tomlKey(last)}]] table`)];
        }
        const values = enumValues(leaf);
        return [missing(values ? `one of ${list(values, true)}` : article(kind))];
      }
      return [issueAt(here, `${where}: expected ${kind}, got ${describeValue(value)}`)];
    }
    case 'invalid_value': {
      if (value === undefined) return [missing(`one of ${list(issue.values, true)}`)];
      const shown = typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
      const hint = typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : '';
      const arrayKey = typeof last === 'number' ? path[path.length - 2] : undefined;
      const noun = typeof arrayKey === 'string' ? ctx.nouns?.[arrayKey] : undefined;
      if (noun) {
        const owner = tableName(table, ctx.data);
        return [issueAt(here, `unknown ${noun} ${shown} in ${label.replace(/\[\d+\]$/, '')} of ${owner}; expected one of ${list(issue.values)}${hint}`)];
      }
      return [issueAt(here, `${where}: expected one of ${list(issue.values, true)}, got ${shown}${hint}`)];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        const options = issue.options;
        if (value === undefined) return [missing(`one of ${list(options, true)}`)];
        const shown = typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
        const hint = typeof value === 'string' ? didYouMean(value, options.map(String)) : '';
        return [issueAt(here, `${where}: expected one of ${list(options, true)}, got ${shown}${hint}`)];
      }
      return [issueAt(here, `${where}: ${describeValue(value)} matches none of the allowed forms`)];
    }
    case 'too_small':
    case 'too_big': {
      if (issue.origin === 'number') {
        const { min, max } = numericBounds(leaf);
        const kind = expectedKind(leaf);
        const range =
          min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `>= ${min}` : `<= ${max}`;
        return [issueAt(here, `${where}: expected ${kind} ${range}, got ${describeValue(value)}`)];
      }
      if (issue.origin === 'string' && issue.code === 'too_small') {
        return [issueAt(here, `${where}: expected a non-empty string, got ""`)];
      }
      if (issue.origin === 'array' && issue.code === 'too_small') {
        return [issueAt(here, `${where}: expected at least ${String(issue.minimum)} item(s), got ${describeValue(value)}`)];
      }
      return [issueAt(here, `${where}: ${issue.message}`)];
    }
    case 'invalid_format':
    case 'custom':
      // Our schemas phrase these messages as the expectation (see config-schema.ts).
      return [issueAt(here, `${where}: expected ${issue.message}, got ${describeValue(value)}`)];
    default:
      return [issueAt(here, `${where}: ${issue.message}`)];
  }
}
