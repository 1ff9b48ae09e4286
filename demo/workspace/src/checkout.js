import { subtotal } from './cart.js';
import { applyDiscount } from './discount.js';
import { formatCents } from './money.js';

/**
 * Totals a cart with an optional discount code.
 * Returns { subtotal, discount, total } in cents and `display`, the total formatted.
 */
export function checkout(cart, code) {
  throw new Error('not implemented');
}
