import type { Observer, Subscription } from 'xstate';

/**
 * A value that changes over time, readable the way an actor is: `getSnapshot()` plus
 * `subscribe()`. Components read it with @xstate/react's `useSelector`, exactly as they would
 * read a local actor, although the value is pushed by the server.
 */
export class Store<T> {
  #value: T;
  readonly #observers = new Set<Observer<T>>();

  constructor(value: T) {
    this.#value = value;
  }

  getSnapshot(): T {
    return this.#value;
  }

  subscribe(observer: Observer<T>): Subscription;
  subscribe(next: (value: T) => void, error?: (error: unknown) => void, complete?: () => void): Subscription;
  subscribe(
    observerOrNext: Observer<T> | ((value: T) => void),
    error?: (error: unknown) => void,
    complete?: () => void,
  ): Subscription {
    const observer: Observer<T> =
      typeof observerOrNext === 'function' ? { next: observerOrNext, error, complete } : observerOrNext;
    this.#observers.add(observer);
    return { unsubscribe: () => void this.#observers.delete(observer) };
  }

  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    // A copy: an observer may unsubscribe (a component unmounting) while we notify.
    for (const observer of [...this.#observers]) observer.next?.(value);
  }
}
