import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent. By default V8
 * picks a factor of up to 4 when a program allocates fast, which a run does: on the engine bench
 * the heap held at the peak was about 4 times the live heap (3k tickets: peak RSS 192–218 MiB, the
 * live heap 20–24 MiB). At 50 % the same run peaks at 143–146 MiB, for main-thread CPU within the
 * bench's noise: the extra full collections mark a small live heap, mostly on V8's helper thread.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets the heap's growing factor for this process (`clutch` calls it before a command runs; the
 * engine bench's children call it as `clutch run` does). It is a V8 flag that V8 reads at every
 * full collection, so setting it once the process runs takes effect; the heap's limit is not
 * changed, so a run that needs more memory still gets it.
 */
export function tuneHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
