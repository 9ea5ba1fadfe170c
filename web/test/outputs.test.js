import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleRing, triggerIndex, describeSwap, diagnosticText, scopeSpan } from '../public/js/outputs.js';

test('the sample ring keeps the last samples of each channel', () => {
  const r = new SampleRing(8);
  r.push(1000, [[1, 2, 3], [10, 20, 30]]);
  assert.deepEqual(Array.from(r.last(0, 5)), [1, 2, 3]);
  r.push(1000, [[4, 5, 6, 7, 8, 9, 10], [40, 50, 60, 70, 80, 90, 100]]);
  assert.deepEqual(Array.from(r.last(0, 8)), [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(Array.from(r.last(1, 2)), [90, 100]);
  assert.equal(r.last(5, 2).length, 0);
  r.push(2000, [[1]]); // new rate or channel count: starts over
  assert.equal(r.channels.length, 1);
  assert.deepEqual(Array.from(r.last(0, 8)), [1]);
});

test('the scope triggers on a rising zero crossing', () => {
  const s = Float32Array.from({ length: 200 }, (_, i) => Math.sin((2 * Math.PI * (i + 0.5)) / 40));
  const i = triggerIndex(s, 100);
  assert.ok(s[i - 1] < 0 && s[i] >= 0);
  assert.ok(i <= 100 && i >= 1);
  assert.equal(triggerIndex(new Float32Array(50).fill(0.5), 20), 30); // no crossing: the newest span
});

test('swap reports as shown', () => {
  const ok = describeSwap({ generation: 3, compile_ms: 42.123, carried: 5, reset: ['a'], crossfade: false, kind: 'edit' });
  assert.deepEqual(ok, {
    state: 'ok',
    ok: true,
    title: 'swapped #3',
    details: ['compiled in 42.1 ms', '5 carried', '1 reset', 'edit'],
    diagnostics: [],
  });
  const bad = describeSwap({
    generation: 4, compiled: false, committed: false,
    diagnostics: [{ file: 'p.dsp', line: 3, col: 7, severity: 'error', message: 'unknown identifier' }, 'plain'],
  });
  assert.equal(bad.state, 'fail');
  assert.equal(bad.title, 'compile failed #4');
  assert.deepEqual(bad.diagnostics, ['p.dsp:3:7: error: unknown identifier', 'plain']);
  assert.deepEqual(describeSwap({ crossfade: 20 }).details, ['crossfade 20.0 ms']);
  assert.equal(diagnosticText({ message: 'm' }), 'error: m');
});

test("swap reports of tutti's server: compiled, then committed", () => {
  const pending = describeSwap({ generation: 2, compiled: true, committed: false, compile_ms: 12 });
  assert.equal(pending.state, 'pending');
  assert.equal(pending.title, 'compiled #2, not playing yet');
  const played = describeSwap({
    generation: 2, compiled: true, committed: true, compile_ms: 12, carried: 15, resized: 2, rebuilt: 0, dropped: 1,
    reset: 0, crossfade: true, diagnostics: '',
  });
  assert.equal(played.state, 'ok');
  assert.deepEqual(played.details, ['compiled in 12.0 ms', '15 carried', '0 reset', 'crossfade', '2 resized', '1 dropped']);
  const failed = describeSwap({
    generation: 3, compiled: false, committed: false, compile_ms: 12.6, carried: 0, reset: 0,
    diagnostics: 'p.dsp:1:11: error: undefined symbol\n  process;\n',
  });
  assert.deepEqual(failed.details, ['after 12.6 ms; the old version plays on']);
  assert.deepEqual(failed.diagnostics, ['p.dsp:1:11: error: undefined symbol', '  process;']);
  assert.equal(describeSwap({ generation: 1, compiled: true, committed: true }).title, 'started #1');
});

test('the scope shows about four periods', () => {
  const wave = (period) => Float32Array.from({ length: 2048 }, (_, i) => Math.sin((2 * Math.PI * (i + 0.5)) / period));
  assert.equal(scopeSpan(wave(100)), 400);
  assert.equal(scopeSpan(wave(8)), 64); // at least min
  assert.equal(scopeSpan(wave(1000)), 1024); // two crossings only: max
  assert.equal(scopeSpan(new Float32Array(100)), 1024); // silence
});
