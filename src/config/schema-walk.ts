import type { z } from 'zod';
import type { TomlPath } from './locate.js';

/**
 * Reads a zod schema's structure, to tell a user what a table accepts ("expected one of tier,
 * model, ...") and whether a number must be an integer. zod issues carry neither, so the formatter
 * asks the schema. Only the few schema kinds our config schemas use are understood.
 */

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  format?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
  checks?: { _zod: { def: { check: string; value?: unknown; inclusive?: boolean; minimum?: number } } }[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** Strips optional/default/prefault/pipe wrappers, which do not change what the file may contain. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let guard = 0; guard < 20; guard++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
  return current;
}

/** For a discriminated union, the member the data selects (undefined if none does). */
function selectOption(schema: z.ZodType, data: unknown): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.type !== 'union' || !def.options) return schema;
  if (!def.discriminator || !isTable(data)) return undefined;
  const tag = data[def.discriminator];
  return def.options.find((option) => {
    const field = defOf(unwrap(option)).shape?.[def.discriminator ?? ''];
    return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(tag);
  });
}

/** The schema that describes the value at `path` inside `data`, if the schema knows that path. */
export function schemaAt(root: z.ZodType, path: TomlPath, data: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = data;
  for (const part of path) {
    if (!schema) return undefined;
    schema = selectOption(unwrap(schema), value);
    if (!schema) return undefined;
    const def = defOf(unwrap(schema));
    if (def.type === 'object') schema = def.shape?.[String(part)];
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else return undefined;
    value = isTable(value) ? value[String(part)] : Array.isArray(value) ? value[Number(part)] : undefined;
  }
  return schema;
}

/** Keys a table at `path` accepts, in schema order (a discriminated union: the selected member's). */
export function keysAt(root: z.ZodType, path: TomlPath, data: unknown): string[] {
  const schema = schemaAt(root, path, data);
  if (!schema) return [];
  let value: unknown = data;
  for (const part of path) value = isTable(value) ? value[String(part)] : Array.isArray(value) ? value[Number(part)] : undefined;
  const unwrapped = unwrap(schema);
  const selected = selectOption(unwrapped, value);
  const candidates = selected ? [selected] : (defOf(unwrapped).options ?? []);
  const keys = candidates.flatMap((option) => Object.keys(defOf(unwrap(option)).shape ?? {}));
  return [...new Set(keys)];
}

/** The accepted values of an enum or literal schema, or undefined for other kinds. */
export function enumValues(schema: z.ZodType | undefined): unknown[] | undefined {
  if (!schema) return undefined;
  const def = defOf(unwrap(schema));
  if (def.type === 'enum') return Object.values(def.entries ?? {});
  if (def.type === 'literal') return def.values;
  return undefined;
}

/** TOML's word for what a schema expects: integer, string, table, ... */
export function expectedKind(schema: z.ZodType | undefined, zodExpected?: string): string {
  const def = schema ? defOf(unwrap(schema)) : undefined;
  switch (def?.type ?? zodExpected) {
    case 'number':
    case 'int':
      return def?.format?.includes('int') || zodExpected === 'int' ? 'integer' : 'number';
    case 'object':
    case 'record':
      return 'table';
    case 'union':
      return def?.discriminator ? 'table' : 'value';
    case 'enum':
    case 'literal':
      return 'string';
    case undefined:
      return 'value';
    default:
      return def?.type ?? zodExpected ?? 'value';
  }
}

/** Inclusive numeric bounds declared by .min()/.max() checks. */
export function numericBounds(schema: z.ZodType | undefined): { min?: number; max?: number } {
  const bounds: { min?: number; max?: number } = {};
  if (!schema) return bounds;
  for (const check of defOf(unwrap(schema)).checks ?? []) {
    const { check: kind, value, inclusive } = check._zod.def;
    if (typeof value !== 'number') continue;
    if (kind === 'greater_than') bounds.min = inclusive ? value : value + 1;
    if (kind === 'less_than') bounds.max = inclusive ? value : value - 1;
  }
  return bounds;
}
