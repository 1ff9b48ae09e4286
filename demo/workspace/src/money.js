// Money is kept in whole cents, so sums never pick up floating-point dust.

/** "12.5" or 12.5 → 1250. Throws a RangeError for negative or non-numeric amounts. */
export function toCents(amount) {
  throw new Error('not implemented');
}

/** 1250 → "$12.50", -250 → "-$2.50". */
export function formatCents(cents) {
  throw new Error('not implemented');
}

/** The given percent of an amount in cents, rounded to the nearest cent. */
export function percentOf(cents, percent) {
  throw new Error('not implemented');
}
