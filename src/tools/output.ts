/**
 * Output capping. A model's context is finite and a runaway command can print gigabytes, so every
 * tool bounds what it returns. Commands keep the head (how it started) and the tail (how it ended,
 * usually the error), because the middle of a long log is the least informative part.
 */

export function truncationMarker(droppedBytes: number): string {
  return `[… ${droppedBytes} bytes truncated …]`;
}

/** Collects a byte stream, keeping at most `maxBytes`: the first half and the last half. */
export class HeadTailBuffer {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(maxBytes: number) {
    const max = Math.max(0, Math.floor(maxBytes));
    this.headLimit = Math.ceil(max / 2);
    this.tailLimit = max - this.headLimit;
  }

  get totalBytes(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Drop whole chunks from the front, then trim the first one; memory stays about tailLimit.
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()?.length ?? 0;
    }
    const excess = this.tailBytes - this.tailLimit;
    const first = this.tail[0];
    if (excess > 0 && first !== undefined) {
      this.tail[0] = first.subarray(excess);
      this.tailBytes -= excess;
    }
  }

  /** The kept text; a marker stands where bytes were dropped. */
  toString(): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    const dropped = this.total - head.length - tail.length;
    if (dropped === 0) return Buffer.concat([head, tail]).toString('utf8');
    // Cut on character boundaries so the kept text has no broken UTF-8 sequences.
    const headEnd = utf8BoundaryBefore(head, head.length);
    const tailStart = utf8BoundaryAfter(tail, 0);
    const droppedAll = dropped + (head.length - headEnd) + tailStart;
    const before = head.subarray(0, headEnd).toString('utf8');
    const after = tail.subarray(tailStart).toString('utf8');
    return `${before}\n${truncationMarker(droppedAll)}\n${after}`;
  }
}

/** Caps `text` at `maxBytes` of UTF-8, keeping head and tail around a marker. */
export function truncateHeadTail(text: string, maxBytes: number): string {
  const buffer = new HeadTailBuffer(maxBytes);
  buffer.push(Buffer.from(text, 'utf8'));
  return buffer.toString();
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return bytes.subarray(0, utf8BoundaryBefore(bytes, Math.max(0, maxBytes))).toString('utf8');
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0b1100_0000) === 0b1000_0000;
}

/** Largest index <= end that starts a character (or is the end of the buffer). */
function utf8BoundaryBefore(buffer: Buffer, end: number): number {
  let i = end;
  if (i >= buffer.length) {
    // Check whether the last character is complete: walk back to its lead byte.
    let lead = buffer.length - 1;
    while (lead > 0 && isContinuation(buffer[lead])) lead--;
    const need = sequenceLength(buffer[lead]);
    return lead + need <= buffer.length ? buffer.length : lead;
  }
  while (i > 0 && isContinuation(buffer[i])) i--;
  return i;
}

/** Smallest index >= start that starts a character. */
function utf8BoundaryAfter(buffer: Buffer, start: number): number {
  let i = start;
  while (i < buffer.length && isContinuation(buffer[i])) i++;
  return i;
}

function sequenceLength(lead: number | undefined): number {
  if (lead === undefined) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}
