// The tree the page draws from Faust's JSON ui array. The fixture is the ui
// array the reference `faust -json` printed for tests/web/all_widgets.dsp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  metaObject, parseStyleOptions, widgetKind, buildTree, controls, controlMap,
} from '../public/js/ui_model.js';

const ui = JSON.parse(readFileSync(new URL('./fixtures/all_widgets.ui.json', import.meta.url)));

test('metaObject drops the ordering keys and keeps the rest', () => {
  assert.deepEqual(metaObject([{ 0: '' }, { scale: 'log' }, { unit: 'Hz' }]), { scale: 'log', unit: 'Hz' });
  assert.deepEqual(metaObject(undefined), {});
  assert.deepEqual(metaObject([{ style: 'knob' }, { style: 'menu{}' }]), { style: 'menu{}' });
});

test('menu and radio options', () => {
  assert.deepEqual(parseStyleOptions("menu{'sine':0;'saw':1;'square':2}"), {
    kind: 'menu',
    options: [{ label: 'sine', value: 0 }, { label: 'saw', value: 1 }, { label: 'square', value: 2 }],
  });
  assert.deepEqual(parseStyleOptions("radio{'a b':-1.5;'c:d':2e1}"), {
    kind: 'radio',
    options: [{ label: 'a b', value: -1.5 }, { label: 'c:d', value: 20 }],
  });
  assert.equal(parseStyleOptions('knob'), null);
  assert.equal(parseStyleOptions(undefined), null);
});

test('widget kinds from type and style', () => {
  assert.equal(widgetKind('hslider', {}), 'hslider');
  assert.equal(widgetKind('vslider', { style: 'knob' }), 'knob');
  assert.equal(widgetKind('nentry', { style: "menu{'a':0}" }), 'menu');
  assert.equal(widgetKind('hslider', { style: "radio{'a':0}" }), 'radio');
  assert.equal(widgetKind('vbargraph', { style: 'led' }), 'led');
  assert.equal(widgetKind('hbargraph', { style: 'numerical' }), 'numerical');
  assert.equal(widgetKind('button', { style: 'knob' }), 'button');
});

test('the all-widgets program: every kind, with its properties', () => {
  const tree = buildTree(ui);
  assert.equal(tree.kind, 'group');
  assert.equal(tree.layout, 'v');
  assert.equal(tree.label, 'all widgets');
  assert.deepEqual(tree.items.map((g) => [g.layout, g.label]), [
    ['h', 'oscillator'], ['v', 'play'], ['t', 'choices'], ['v', 'meters'],
  ]);
  const byName = Object.fromEntries(controls(tree).map((c) => [c.label, c]));
  assert.deepEqual(
    Object.values(byName).map((c) => c.widget).sort(),
    ['button', 'checkbox', 'hbargraph', 'hslider', 'hslider', 'knob', 'led', 'menu', 'nentry', 'radio',
      'vbargraph', 'vslider', 'vslider'],
  );
  const freq = byName.freq;
  assert.equal(freq.address, '/all_widgets/oscillator/freq');
  assert.equal(freq.scale, 'log');
  assert.equal(freq.unit, 'Hz');
  assert.equal(freq.tooltip, 'pitch of the tone');
  assert.deepEqual([freq.min, freq.max, freq.step, freq.init], [50, 5000, 1, 440]);
  assert.equal(byName.shape.scale, 'exp');
  assert.equal(byName.gain.unit, 'dB');
  assert.equal(byName.secret.hidden, true);
  assert.equal(byName.freq.hidden, false);
  assert.deepEqual(byName.wave.options.map((o) => o.label), ['sine', 'saw', 'square']);
  assert.equal(byName.voice.widget, 'radio');
  assert.equal(byName.voice.init, 1);
  assert.equal(byName.level.output, true);
  assert.equal(byName.level.init, -70); // a bargraph starts at its minimum
  assert.equal(byName.gate.max, 1);
  assert.equal(controlMap(tree).get('/all_widgets/play/mute').tooltip, 'silence the output');
});

test('several top items get a root group; anonymous groups hide their label', () => {
  const tree = buildTree([
    { type: 'hgroup', label: '0x00', items: [{ type: 'button', label: 'b', address: '/b' }] },
    { type: 'hslider', label: 's', address: '/s', init: 0, min: 0, max: 1, step: 0.1 },
  ]);
  assert.equal(tree.items.length, 2);
  assert.equal(tree.items[0].showLabel, false);
  assert.equal(tree.showLabel, false);
});

test('bad items are skipped, not fatal', () => {
  const tree = buildTree([{ type: 'vgroup', label: 'x', items: [null, { type: 'hslider' }, 3] }]);
  assert.equal(controls(tree).length, 0);
  assert.equal(buildTree('nonsense').items.length, 0);
  const swapped = buildTree([{ type: 'hslider', label: 's', address: '/s', min: 5, max: 1, step: 'x' }]);
  const s = controls(swapped)[0];
  assert.deepEqual([s.min, s.max, s.step, s.init], [1, 5, 0, 1]);
});
