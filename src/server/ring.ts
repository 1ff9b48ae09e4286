/** The last `capacity` items pushed, oldest first; pushing onto a full ring drops the oldest. */
export class Ring<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring holds at least one item (got ${capacity})`);
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size) % this.capacity] = item;
      this.#size += 1;
    } else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** The item at `index` from the oldest (0) to the newest (size - 1). */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    return this.#items[(this.#start + index) % this.capacity];
  }

  last(): T | undefined {
    return this.at(this.#size - 1);
  }

  /** Replaces the newest item (there must be one). */
  replaceLast(item: T): void {
    if (this.#size === 0) throw new RangeError('the ring is empty');
    this.#items[(this.#start + this.#size - 1) % this.capacity] = item;
  }

  toArray(): T[] {
    const items: T[] = [];
    for (let index = 0; index < this.#size; index += 1) items.push(this.at(index)!);
    return items;
  }
}
