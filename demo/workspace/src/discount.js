// Legacy: works in floating-point dollars and rounds by hand.
const CODES = { SAVE10: 10, SAVE25: 25 };

/** Returns the discounted total for a total in dollars. */
export function applyDiscount(totalDollars, code) {
  const percent = CODES[code];
  if (percent === undefined) return totalDollars;
  return Math.round((totalDollars - (totalDollars * percent) / 100) * 100) / 100;
}
