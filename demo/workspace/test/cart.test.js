import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addItem, createCart, subtotal } from '../src/cart.js';

test('addItem stores prices in cents and merges repeated skus', () => {
  const cart = createCart();
  addItem(cart, 'apple', 0.5, 3);
  addItem(cart, 'apple', 0.5);
  addItem(cart, 'pear', '1.25');
  assert.deepEqual(cart.lines, [
    { sku: 'apple', unitCents: 50, qty: 4 },
    { sku: 'pear', unitCents: 125, qty: 1 },
  ]);
});

test('subtotal sums every line in cents', () => {
  const cart = createCart();
  addItem(cart, 'apple', 0.5, 4);
  addItem(cart, 'pear', '1.25');
  assert.equal(subtotal(cart), 325);
  assert.equal(subtotal(createCart()), 0);
});

test('addItem refuses a quantity below one', () => {
  assert.throws(() => addItem(createCart(), 'apple', 0.5, 0), RangeError);
});
