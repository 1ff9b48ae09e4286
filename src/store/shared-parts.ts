/**
 * Snapshots written again and again share most of their bulk with the one before: the conductor's
 * per-ticket lists are copy-on-write chunks, and the track's specs never change. This encoding
 * stores each large array or object once, as a numbered part, and refers to it by identity from
 * then on, so a commit costs what changed, not the size of the run.
 */

/** Arrays and objects at least this large become parts of their own. */
const LARGE = 64;
/** The key of a reference to a part; a real object carrying it is stored as a part, so decoding is exact. */
export const PART_KEY = '$clutch_part';

export interface EncodedSnapshot {
  /** JSON of the snapshot, with large values replaced by `{"$clutch_part": id}`. */
  json: string;
  /** Parts this commit must add, as JSON. */
  added: Map<number, string>;
  /** Every part the snapshot refers to (new and kept). */
  referenced: Set<number>;
}

export class PartEncoder {
  readonly #ids = new WeakMap<object, number>();
  /** Parts on disk that the last committed snapshot refers to. */
  #live = new Set<number>();
  #next: number;

  constructor(existing: Iterable<number> = []) {
    this.#live = new Set(existing);
    this.#next = Math.max(0, ...this.#live) + 1;
  }

  get live(): ReadonlySet<number> {
    return this.#live;
  }

  /** `parts`: objects stored as parts of their own whatever their size (a ticket's snapshot, say). */
  encode(value: unknown, parts?: WeakSet<object>): EncodedSnapshot {
    const added = new Map<number, string>();
    const referenced = new Set<number>();
    const visit = (node: unknown): unknown => {
      if (node === null || typeof node !== 'object') return node;
      const isArray = Array.isArray(node);
      if (parts?.has(node) === true || isLarge(node, isArray)) {
        let id = this.#ids.get(node);
        if (id === undefined || !(this.#live.has(id) || added.has(id))) {
          id = this.#next++;
          this.#ids.set(node, id);
          added.set(id, JSON.stringify(node));
        }
        referenced.add(id);
        return { [PART_KEY]: id };
      }
      if (isArray) {
        let copy: unknown[] | undefined;
        for (let index = 0; index < node.length; index += 1) {
          const item = node[index];
          const encoded = visit(item);
          if (encoded !== item) (copy ??= node.slice())[index] = encoded;
        }
        return copy ?? node;
      }
      if (typeof (node as { toJSON?: unknown }).toJSON === 'function') return node;
      let copy: Record<string, unknown> | undefined;
      for (const key in node) {
        const item = (node as Record<string, unknown>)[key];
        const encoded = visit(item);
        if (encoded !== item) (copy ??= { ...(node as Record<string, unknown>) })[key] = encoded;
      }
      return copy ?? node;
    };
    const json = JSON.stringify(visit(value));
    return { json, added, referenced };
  }

  /** After the commit that wrote `encoded`: parts no longer referred to, for deletion. */
  committed(encoded: EncodedSnapshot): number[] {
    const dropped = [...this.#live].filter((id) => !encoded.referenced.has(id));
    this.#live = encoded.referenced;
    return dropped;
  }
}

function isLarge(node: object, isArray: boolean): boolean {
  if (isArray) return (node as unknown[]).length >= LARGE;
  let keys = 0;
  for (const key in node) {
    if (key === PART_KEY) return true;
    keys += 1;
    if (keys >= LARGE) return true;
  }
  return false;
}

/** The snapshot back from its JSON and its parts. A missing part is a corrupt store, said plainly. */
export function decodeSnapshot(json: string, part: (id: number) => string | undefined): unknown {
  const cache = new Map<number, unknown>();
  const resolve = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index += 1) node[index] = resolve(node[index]);
      return node;
    }
    const record = node as Record<string, unknown>;
    const id = record[PART_KEY];
    if (typeof id === 'number' && Object.keys(record).length === 1) {
      if (!cache.has(id)) {
        const text = part(id);
        if (text === undefined) throw new Error(`snapshot part ${id} is missing`);
        cache.set(id, JSON.parse(text));
      }
      return cache.get(id);
    }
    for (const key in record) record[key] = resolve(record[key]);
    return record;
  };
  return resolve(JSON.parse(json));
}
