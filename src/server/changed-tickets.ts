import type { Chunked } from '../machines/chunked.js';
import type { TicketInfo } from '../machines/schedule.js';
import { ticketKey, type TicketSummary } from '../protocol/wire.js';

/**
 * Adds to `dirty` the view key of every ticket whose record in the conductor changed between two
 * snapshots. Unchanged chunks and entries keep their identity from one snapshot to the next, so
 * this compares references and touches only the chunks that changed.
 */
export function markChangedTickets(before: Chunked<TicketInfo>, after: Chunked<TicketInfo>, specs: readonly TicketSummary[], dirty: Set<string>): void {
  if (after === before) return;
  let index = 0;
  after.chunks.forEach((chunk, chunkIndex) => {
    const old = before.chunks[chunkIndex];
    if (chunk !== old) {
      chunk.forEach((info, offset) => {
        const spec = specs[index + offset];
        if (info !== old?.[offset] && spec) dirty.add(ticketKey(spec.id));
      });
    }
    index += chunk.length;
  });
}
