import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCents, percentOf, toCents } from '../src/money.js';

test('toCents turns dollars into whole cents', () => {
  assert.equal(toCents(19.99), 1999);
  assert.equal(toCents('4.5'), 450);
  assert.equal(toCents(0), 0);
});

test('toCents refuses negative and non-numeric amounts', () => {
  assert.throws(() => toCents(-1), RangeError);
  assert.throws(() => toCents('abc'), RangeError);
  assert.throws(() => toCents(''), RangeError);
});

test('formatCents prints dollars with two decimals', () => {
  assert.equal(formatCents(1999), '$19.99');
  assert.equal(formatCents(5), '$0.05');
  assert.equal(formatCents(-250), '-$2.50');
});

test('percentOf rounds to the nearest cent', () => {
  assert.equal(percentOf(1999, 10), 200);
  assert.equal(percentOf(1000, 15), 150);
});
