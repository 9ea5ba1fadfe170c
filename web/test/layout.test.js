// Layout as Faust's UIs do it: v stacks, h rows, t tabs; hidden takes no space;
// an hgroup too wide for the screen wraps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildTree, controlMap } from '../public/js/ui_model.js';
import { layout, GROUP_PAD, GROUP_LABEL, TAB_BAR, WIDGET_SIZE } from '../public/js/layout.js';

const ui = JSON.parse(readFileSync(new URL('./fixtures/all_widgets.ui.json', import.meta.url)));
const s = (a, b, c = 0) => ({ type: a, label: b, address: `/${b}`, min: 0, max: 1, step: 0.1, init: 0, meta: c ? [c] : [] });

test('an hgroup puts its items side by side, a vgroup stacks them', () => {
  const tree = buildTree([{
    type: 'hgroup', label: 'h', items: [s('vslider', 'a'), s('vslider', 'b'), s('hslider', 'c', { style: 'knob' })],
  }]);
  const box = layout(tree).get(tree);
  assert.equal(box.direction, 'row');
  assert.equal(box.w, 1 + 1 + WIDGET_SIZE.knob.w + 2 * GROUP_PAD);
  assert.equal(box.h, 5 + 2 * GROUP_PAD + GROUP_LABEL);
  const v = buildTree([{ type: 'vgroup', label: 'v', items: [s('hslider', 'a'), s('hslider', 'b')] }]);
  const vb = layout(v).get(v);
  assert.equal(vb.direction, 'column');
  assert.equal(vb.w, 5 + 2 * GROUP_PAD);
  assert.equal(vb.h, 2 + 2 * GROUP_PAD + GROUP_LABEL);
});

test('a tgroup is as large as its largest tab, plus the tab bar', () => {
  const tree = buildTree([{
    type: 'tgroup', label: 't',
    items: [
      { type: 'vgroup', label: 'one', items: [s('vslider', 'a')] },
      { type: 'vgroup', label: 'two', items: [s('hslider', 'b')] },
    ],
  }]);
  const boxes = layout(tree);
  const [one, two] = tree.items;
  const t = boxes.get(tree);
  assert.equal(t.direction, 'tabs');
  assert.equal(t.w, Math.max(boxes.get(one).w, boxes.get(two).w) + 2 * GROUP_PAD);
  assert.equal(t.h, Math.max(boxes.get(one).h, boxes.get(two).h) + TAB_BAR + 2 * GROUP_PAD + GROUP_LABEL);
});

test('hidden items take no space and are not laid out', () => {
  const tree = buildTree([{
    type: 'hgroup', label: 'h', items: [s('vslider', 'a'), s('vslider', 'b', { hidden: '1' })],
  }]);
  const boxes = layout(tree);
  assert.equal(boxes.get(tree).w, 1 + 2 * GROUP_PAD);
  assert.equal(boxes.has(controlMap(tree).get('/b')), false);
});

test('on a narrow screen a wide hgroup wraps, keeping every widget its size', () => {
  const tree = buildTree(ui);
  const wide = layout(tree, 100);
  const osc = tree.items[0];
  assert.equal(wide.get(osc).wrap, false);
  const natural = wide.get(osc).w;
  const phone = layout(tree, 7); // ~360 px at 52 px a unit
  assert.equal(phone.get(osc).wrap, true);
  assert.ok(phone.get(osc).w <= 7 - 2 * GROUP_PAD + 1e-9, `${phone.get(osc).w}`);
  assert.ok(phone.get(osc).w < natural);
  assert.ok(phone.get(osc).h > wide.get(osc).h); // more rows
  const freq = controlMap(tree).get('/all_widgets/oscillator/freq');
  assert.deepEqual(phone.get(freq), WIDGET_SIZE.hslider);
});

test('radio buttons grow with their options', () => {
  const tree = buildTree(ui);
  const voice = controlMap(tree).get('/all_widgets/choices/voice/voice');
  assert.equal(layout(tree).get(voice).h, WIDGET_SIZE.radio.h + 0.5 * 3);
});
