import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addItem, createCart } from '../src/cart.js';
import { checkout } from '../src/checkout.js';

test('checkout applies a discount code to the cart', () => {
  const cart = createCart();
  addItem(cart, 'book', 12.5, 2);
  addItem(cart, 'pen', '0.99');
  assert.deepEqual(checkout(cart, 'SAVE10'), {
    subtotal: 2599,
    discount: 260,
    total: 2339,
    display: '$23.39',
  });
});

test('checkout without a code charges the subtotal', () => {
  const cart = createCart();
  addItem(cart, 'pen', 0.99, 3);
  assert.deepEqual(checkout(cart), { subtotal: 297, discount: 0, total: 297, display: '$2.97' });
});
