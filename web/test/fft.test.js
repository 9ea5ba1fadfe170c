import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fft, spectrum, floorPow2, hann } from '../public/js/fft.js';

test('fft of an impulse is flat; of a constant, one bin', () => {
  const re = new Float64Array(8);
  const im = new Float64Array(8);
  re[0] = 1;
  fft(re, im);
  for (let k = 0; k < 8; k++) {
    assert.ok(Math.abs(re[k] - 1) < 1e-12 && Math.abs(im[k]) < 1e-12);
  }
  const c = new Float64Array(8).fill(1);
  const ci = new Float64Array(8);
  fft(c, ci);
  assert.ok(Math.abs(c[0] - 8) < 1e-12);
  for (let k = 1; k < 8; k++) assert.ok(Math.hypot(c[k], ci[k]) < 1e-12);
});

test('fft matches a direct DFT and keeps Parseval', () => {
  const n = 64;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1) + ((i * 7919) % 13) / 13);
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  fft(re, im);
  let et = 0;
  let ef = 0;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      sr += x[t] * Math.cos((-2 * Math.PI * k * t) / n);
      si += x[t] * Math.sin((-2 * Math.PI * k * t) / n);
    }
    assert.ok(Math.abs(sr - re[k]) < 1e-9 && Math.abs(si - im[k]) < 1e-9, `bin ${k}`);
    ef += re[k] ** 2 + im[k] ** 2;
  }
  for (const v of x) et += v * v;
  assert.ok(Math.abs(et - ef / n) < 1e-9);
});

test('fft refuses lengths that are not powers of two', () => {
  assert.throws(() => fft(new Float64Array(6), new Float64Array(6)), RangeError);
});

test('a full-scale sine reads 0 dB at its frequency', () => {
  const rate = 48000;
  const n = 4096;
  const f = (100 * rate) / n; // exactly bin 100
  const x = Float32Array.from({ length: n + 100 }, (_, i) => Math.sin((2 * Math.PI * f * i) / rate));
  const sp = spectrum(x, rate, 4096);
  assert.equal(sp.db.length, n / 2 + 1);
  assert.equal(sp.binHz, rate / n);
  let best = 0;
  for (let k = 1; k < sp.db.length; k++) if (sp.db[k] > sp.db[best]) best = k;
  assert.equal(best, 100);
  assert.ok(Math.abs(sp.db[100]) < 0.01, `${sp.db[100]}`);
  assert.ok(sp.db[300] < -100);
  assert.equal(spectrum(new Float32Array(10), rate), null);
});

test('helpers', () => {
  assert.equal(floorPow2(1000), 512);
  assert.equal(floorPow2(1024), 1024);
  assert.equal(floorPow2(0), 0);
  const w = hann(4);
  assert.deepEqual(Array.from(w).map((v) => +v.toFixed(12)), [0, 0.5, 1, 0.5]);
});
