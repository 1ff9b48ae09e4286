import { toCents } from './money.js';

/** A cart is a plain object: { lines: [{ sku, unitCents, qty }] }. */
export function createCart() {
  return { lines: [] };
}

/** Adds qty items priced in dollars; adding a sku again raises its quantity. */
export function addItem(cart, sku, price, qty = 1) {
  throw new Error('not implemented');
}

/** The sum of every line, in cents. */
export function subtotal(cart) {
  throw new Error('not implemented');
}
