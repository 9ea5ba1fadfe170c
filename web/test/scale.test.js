// Scale mapping (lin, log, exp as Faust's ValueConverter.h), steps and formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  toPosition, fromPosition, quantize, decimals, formatValue, parseValue, amplitudeToDb,
} from '../public/js/scale.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('linear', () => {
  close(toPosition(0, -1, 1), 0.5);
  close(fromPosition(0.25, 0, 100), 25);
  close(toPosition(5, 0, 1), 1); // clipped
  close(toPosition(-5, 0, 1), 0);
  close(toPosition(1, 1, 1), 0); // empty range
});

test('log: equal ratios are equal distances (Faust LogValueConverter)', () => {
  close(toPosition(500, 50, 5000, 'log'), 0.5);
  close(fromPosition(0.5, 50, 5000, 'log'), 500);
  close(fromPosition(0, 50, 5000, 'log'), 50);
  close(fromPosition(1, 50, 5000, 'log'), 5000);
  close(toPosition(100, 10, 10000, 'log'), 1 / 3);
});

test('log with min <= 0 stays usable and monotone', () => {
  let prev = -Infinity;
  for (let p = 0; p <= 1.0001; p += 0.05) {
    const v = fromPosition(p, 0, 1, 'log');
    assert.ok(v > prev || (p === 0 && v === 0));
    prev = v;
    close(toPosition(v, 0, 1, 'log'), Math.min(p, 1), 1e-9);
  }
  close(fromPosition(0, 0, 1, 'log'), 0);
  close(fromPosition(1, 0, 1, 'log'), 1);
  assert.ok(fromPosition(0.5, 0, 1, 'log') < 0.1); // most of the travel for small values
});

test('exp: position linear in exp(value) (Faust ExpValueConverter)', () => {
  const p = toPosition(0.5, 0, 1, 'exp');
  close(p, (Math.exp(0.5) - 1) / (Math.E - 1));
  close(fromPosition(p, 0, 1, 'exp'), 0.5);
  // Large values: no overflow, still invertible.
  const q = toPosition(900, 0, 1000, 'exp');
  assert.ok(q > 0 && q < 1e-30);
  close(fromPosition(toPosition(999, 0, 1000, 'exp'), 0, 1000, 'exp'), 999, 1e-6);
});

test('round trips on every scale', () => {
  for (const scale of ['lin', 'log', 'exp']) {
    for (const [min, max] of [[1, 10], [20, 20000], [-5, 5], [0, 2]]) {
      for (let p = 0; p <= 1; p += 0.1) {
        close(toPosition(fromPosition(p, min, max, scale), min, max, scale), p, 1e-9);
      }
    }
  }
});

test('quantize to the step grid from min', () => {
  assert.equal(quantize(0.123, 0, 1, 0.01), 0.12);
  assert.equal(quantize(0.3, 0, 1, 0.1), 0.3); // not 0.30000000000000004
  assert.equal(quantize(7, 1, 10, 3), 7);
  assert.equal(quantize(8.4, 1, 10, 3), 7);
  assert.equal(quantize(11, 0, 10, 1), 10);
  assert.equal(quantize(NaN, 2, 10, 1), 2);
  assert.equal(quantize(0.37, 0, 1, 0), 0.37);
});

test('decimals follow the step', () => {
  assert.equal(decimals(1), 0);
  assert.equal(decimals(0.1), 1);
  assert.equal(decimals(0.01), 2);
  assert.equal(decimals(0.25), 2);
  assert.equal(decimals(0.001), 3);
  assert.equal(decimals(1e-9), 6);
  assert.equal(decimals(0, -70, 6), 1); // bargraph: from the range
  assert.equal(decimals(0, 0, 1), 2);
});

test('formatting with units', () => {
  assert.equal(formatValue(440, { step: 1, unit: 'Hz' }), '440 Hz');
  assert.equal(formatValue(-12, { step: 0.1, unit: 'dB' }), '-12.0 dB');
  assert.equal(formatValue(-0.001, { step: 0.1 }), '0.0');
  assert.equal(formatValue(0.5, { step: 0.01 }), '0.50');
  assert.equal(formatValue(NaN, { unit: 'dB' }), '- dB');
});

test('parsing typed values', () => {
  assert.equal(parseValue('440'), 440);
  assert.equal(parseValue(' 440 Hz ', 'Hz'), 440);
  assert.equal(parseValue('-6,5 dB', 'dB'), -6.5);
  assert.equal(parseValue('1e3'), 1000);
  assert.ok(Number.isNaN(parseValue('abc')));
  assert.ok(Number.isNaN(parseValue('')));
});

test('amplitude to dB', () => {
  close(amplitudeToDb(1), 0);
  close(amplitudeToDb(0.5), -6.020599913279624);
  assert.equal(amplitudeToDb(0), -90);
  assert.equal(amplitudeToDb(1e-9, -60), -60);
});
