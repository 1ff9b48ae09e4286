declare const jsonOf: unique symbol;

/** Text that is the JSON of a T: serialized once, then spliced into as many messages as need it. */
export type Json<T> = string & { readonly [jsonOf]: T };

export function toJson<T>(value: T): Json<T> {
  return JSON.stringify(value) as Json<T>;
}

/** An object whose lists hold their items as JSON already (a view is serialized once per flush, not once per client). */
export type Prepared<T> = { [Field in keyof T]: T[Field] extends readonly (infer Item)[] ? Json<Item>[] : T[Field] };

/** The JSON of the object `prepared` stands for: what JSON.stringify would give, without encoding the items again. */
export function preparedJson<T extends object>(prepared: Prepared<T>): Json<T> {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(prepared)) {
    if (value === undefined) continue;
    fields.push(`${JSON.stringify(name)}:${Array.isArray(value) ? `[${value.join(',')}]` : JSON.stringify(value)}`);
  }
  return `{${fields.join(',')}}` as Json<T>;
}
