import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDiscount, discountCents } from '../src/discount.js';

test('SAVE10 takes ten percent off, rounded to the cent', () => {
  assert.equal(discountCents(1999, 'SAVE10'), 200);
  assert.equal(applyDiscount(1999, 'SAVE10'), 1799);
});

test('SAVE25 takes a quarter off', () => {
  assert.equal(applyDiscount(1000, 'SAVE25'), 750);
});

test('no code means no discount', () => {
  assert.equal(applyDiscount(1000), 1000);
  assert.equal(applyDiscount(1000, ''), 1000);
});

test('an unknown code is an error, not a silent full price', () => {
  assert.throws(() => applyDiscount(1000, 'FREE'), /unknown discount code: FREE/);
  assert.throws(() => applyDiscount(1000, 'toString'), /unknown discount code/);
});
