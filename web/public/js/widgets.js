// The widgets of the program's UI, drawn from the tree of ui_model.js with the
// layout of layout.js. Every control widget is { node, el, set(value) }: set()
// shows a value from the server; the user's moves go to ctx.send(address, v).
// Pointer events throughout (mouse, pen and touch alike); the tracks and knobs
// take the touch themselves (touch-action: none) so dragging them does not
// scroll the page on a phone. Keyboard: arrows (one step), Page Up/Down (ten),
// Home/End; double click (or double tap) puts a slider back to its initial value.

import { toPosition, fromPosition, quantize, formatValue, parseValue } from './scale.js';

const SVG = 'http://www.w3.org/2000/svg';

function h(doc, tag, cls, text) {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(doc, tag, attrs) {
  const e = doc.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** The frame of every widget: a box with the widget's kind as class, its
 * label and its tooltip. */
function frame(doc, node, extra = '') {
  const el = h(doc, 'div', `w w-${node.widget}${extra ? ` ${extra}` : ''}`);
  el.dataset.address = node.address;
  el.dataset.widget = node.widget;
  if (node.tooltip) el.title = node.tooltip;
  return el;
}

function labelEl(doc, node) {
  const l = h(doc, 'div', 'w-label', node.label);
  if (node.tooltip) l.classList.add('has-tip');
  return l;
}

const fmt = (node, v) => formatValue(v, node);

/** An editable value box under a slider or knob (type a value, Enter). */
function valueBox(doc, node, commit) {
  const input = h(doc, 'input', 'w-value');
  input.type = 'text';
  input.inputMode = 'decimal';
  input.spellcheck = false;
  input.setAttribute('aria-label', `${node.label} value`);
  input.addEventListener('focus', () => input.select());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') input.blur();
    if (e.key === 'Escape') {
      input.dataset.cancel = '1';
      input.blur();
    }
  });
  input.addEventListener('change', () => {
    if (input.dataset.cancel) {
      delete input.dataset.cancel;
      return;
    }
    const v = parseValue(input.value, node.unit);
    if (!Number.isNaN(v)) commit(v);
  });
  input.addEventListener('blur', () => {
    delete input.dataset.cancel;
    input.dispatchEvent(new Event('refresh'));
  });
  return input;
}

/** Keyboard control shared by sliders, knobs and entries. */
function keyStep(node, e, value) {
  const step = node.step > 0 ? node.step : (node.max - node.min) / 100;
  switch (e.key) {
    case 'ArrowUp':
    case 'ArrowRight':
      return value + step;
    case 'ArrowDown':
    case 'ArrowLeft':
      return value - step;
    case 'PageUp':
      return value + 10 * step;
    case 'PageDown':
      return value - 10 * step;
    case 'Home':
      return node.min;
    case 'End':
      return node.max;
    default:
      return null;
  }
}

/** A control widget's state: the value shown, whether the user holds it
 * (server values wait until release), and how a user's value goes out. */
class Control {
  constructor(node, ctx) {
    this.node = node;
    this.ctx = ctx;
    this.value = node.init;
    this.held = false;
  }

  /** A value from the server. */
  set(v) {
    if (this.held) {
      this.heldValue = v;
      return;
    }
    this.value = v;
    this.show();
  }

  /** A value from the user: quantized, shown, sent. */
  user(v) {
    const q = quantize(v, this.node.min, this.node.max, this.node.step);
    if (q === this.value) return;
    this.value = q;
    this.show();
    this.ctx.send(this.node.address, q);
  }

  hold() {
    this.held = true;
    this.heldValue = undefined;
    this.el.classList.add('active');
  }

  release() {
    this.held = false;
    this.el.classList.remove('active');
  }

  show() {}
}

function aria(el, node, value) {
  el.setAttribute('aria-valuemin', String(node.min));
  el.setAttribute('aria-valuemax', String(node.max));
  el.setAttribute('aria-valuenow', String(value));
  el.setAttribute('aria-valuetext', fmt(node, value));
}

class Slider extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.vertical = node.widget === 'vslider';
    this.el = frame(doc, node, this.vertical ? 'vertical' : 'horizontal');
    this.track = h(doc, 'div', 'w-track');
    this.track.tabIndex = 0;
    this.track.setAttribute('role', 'slider');
    this.track.setAttribute('aria-label', node.label);
    this.track.setAttribute('aria-orientation', this.vertical ? 'vertical' : 'horizontal');
    this.fill = h(doc, 'div', 'w-fill');
    this.thumb = h(doc, 'div', 'w-thumb');
    this.track.append(this.fill, this.thumb);
    this.box = valueBox(doc, node, (v) => this.user(v));
    this.box.addEventListener('refresh', () => this.show());
    this.el.append(labelEl(doc, node), this.track, this.box);

    this.track.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.track.focus({ preventScroll: true });
      this.track.setPointerCapture(e.pointerId);
      this.hold();
      this.drag(e);
    });
    this.track.addEventListener('pointermove', (e) => {
      if (this.held && this.track.hasPointerCapture(e.pointerId)) this.drag(e);
    });
    const end = (e) => {
      if (!this.held) return;
      if (this.track.hasPointerCapture(e.pointerId)) this.track.releasePointerCapture(e.pointerId);
      this.release();
    };
    this.track.addEventListener('pointerup', end);
    this.track.addEventListener('pointercancel', end);
    this.track.addEventListener('dblclick', () => this.user(node.init));
    this.track.addEventListener('keydown', (e) => {
      const v = keyStep(node, e, this.value);
      if (v === null) return;
      e.preventDefault();
      this.user(v);
    });
    this.show();
  }

  drag(e) {
    const r = this.track.getBoundingClientRect();
    const pos = this.vertical ? (r.bottom - e.clientY) / r.height : (e.clientX - r.left) / r.width;
    this.user(fromPosition(pos, this.node.min, this.node.max, this.node.scale));
  }

  show() {
    const n = this.node;
    const p = toPosition(this.value, n.min, n.max, n.scale);
    this.track.style.setProperty('--pos', p.toFixed(4));
    aria(this.track, n, this.value);
    if (this.box.ownerDocument.activeElement !== this.box) this.box.value = fmt(n, this.value);
  }
}

/** A rotary knob: 270 degrees of arc, dragged up and down (or sideways). */
class Knob extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.dial = h(doc, 'div', 'w-dial');
    this.dial.tabIndex = 0;
    this.dial.setAttribute('role', 'slider');
    this.dial.setAttribute('aria-label', node.label);
    const s = svg(doc, 'svg', { viewBox: '0 0 100 100', 'aria-hidden': 'true' });
    this.back = svg(doc, 'path', { class: 'k-back', d: Knob.arc(0, 1) });
    this.arc = svg(doc, 'path', { class: 'k-arc', d: Knob.arc(0, 0) });
    this.needle = svg(doc, 'line', { class: 'k-needle', x1: 50, y1: 50, x2: 50, y2: 18 });
    s.append(this.back, this.arc, svg(doc, 'circle', { class: 'k-cap', cx: 50, cy: 50, r: 26 }), this.needle);
    this.dial.append(s);
    this.box = valueBox(doc, node, (v) => this.user(v));
    this.box.addEventListener('refresh', () => this.show());
    this.el.append(labelEl(doc, node), this.dial, this.box);

    let start = null;
    this.dial.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.dial.focus({ preventScroll: true });
      this.dial.setPointerCapture(e.pointerId);
      this.hold();
      start = { x: e.clientX, y: e.clientY, pos: toPosition(this.value, node.min, node.max, node.scale) };
    });
    this.dial.addEventListener('pointermove', (e) => {
      if (!start || !this.dial.hasPointerCapture(e.pointerId)) return;
      // 200 px for the whole range (upwards or rightwards), ten times finer with Shift.
      const d = (start.y - e.clientY + (e.clientX - start.x)) / (e.shiftKey ? 2000 : 200);
      this.user(fromPosition(start.pos + d, node.min, node.max, node.scale));
    });
    const end = (e) => {
      if (!start) return;
      start = null;
      if (this.dial.hasPointerCapture(e.pointerId)) this.dial.releasePointerCapture(e.pointerId);
      this.release();
    };
    this.dial.addEventListener('pointerup', end);
    this.dial.addEventListener('pointercancel', end);
    this.dial.addEventListener('dblclick', () => this.user(node.init));
    this.dial.addEventListener('keydown', (e) => {
      const v = keyStep(node, e, this.value);
      if (v === null) return;
      e.preventDefault();
      this.user(v);
    });
    this.show();
  }

  /** The SVG path of the knob's arc from position a to b (0..1 over 270 degrees). */
  static arc(a, b) {
    const ang = (p) => ((135 + 270 * p) * Math.PI) / 180;
    const pt = (p) => `${(50 + 40 * Math.cos(ang(p))).toFixed(2)} ${(50 + 40 * Math.sin(ang(p))).toFixed(2)}`;
    if (b - a < 1e-4) return `M ${pt(a)}`;
    return `M ${pt(a)} A 40 40 0 ${(b - a) * 270 > 180 ? 1 : 0} 1 ${pt(b)}`;
  }

  show() {
    const n = this.node;
    const p = toPosition(this.value, n.min, n.max, n.scale);
    this.arc.setAttribute('d', Knob.arc(0, p));
    this.needle.setAttribute('transform', `rotate(${(-135 + 270 * p).toFixed(2)} 50 50)`);
    this.dial.style.setProperty('--pos', p.toFixed(4));
    aria(this.dial, n, this.value);
    if (this.box.ownerDocument.activeElement !== this.box) this.box.value = fmt(n, this.value);
  }
}

/** A numerical entry: a value to type, with - and + buttons. */
class NEntry extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    const row = h(doc, 'div', 'w-spin');
    const minus = h(doc, 'button', 'w-step', '\u2212');
    const plus = h(doc, 'button', 'w-step', '+');
    minus.type = plus.type = 'button';
    minus.setAttribute('aria-label', `${node.label} down`);
    plus.setAttribute('aria-label', `${node.label} up`);
    const step = node.step > 0 ? node.step : (node.max - node.min) / 100;
    minus.addEventListener('click', () => this.user(this.value - step));
    plus.addEventListener('click', () => this.user(this.value + step));
    this.box = valueBox(doc, node, (v) => this.user(v));
    this.box.classList.add('w-entry');
    this.box.setAttribute('role', 'spinbutton');
    this.box.addEventListener('refresh', () => this.show());
    this.box.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown' && e.key !== 'PageUp' && e.key !== 'PageDown') return;
      e.preventDefault();
      this.user(keyStep(node, e, this.value));
      this.box.select();
    });
    row.append(minus, this.box, plus);
    this.el.append(labelEl(doc, node), row);
    this.show();
  }

  show() {
    aria(this.box, this.node, this.value);
    if (this.box.ownerDocument.activeElement !== this.box) this.box.value = fmt(this.node, this.value);
  }
}

/** A push button: 1 while held (pointer or Space/Enter), 0 on release. */
class Button extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.button = h(doc, 'button', 'w-button', node.label);
    this.button.type = 'button';
    this.el.append(this.button);
    const down = (e) => {
      e.preventDefault();
      if (e.pointerId !== undefined) this.button.setPointerCapture(e.pointerId);
      this.press(1);
    };
    const up = () => this.press(0);
    this.button.addEventListener('pointerdown', down);
    this.button.addEventListener('pointerup', up);
    this.button.addEventListener('pointercancel', up);
    this.button.addEventListener('lostpointercapture', up);
    this.button.addEventListener('keydown', (e) => {
      if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
        e.preventDefault();
        this.press(1);
      }
    });
    this.button.addEventListener('keyup', (e) => {
      if (e.key === ' ' || e.key === 'Enter') this.press(0);
    });
    this.button.addEventListener('contextmenu', (e) => e.preventDefault()); // long press on a phone
    this.show();
  }

  press(v) {
    if (v === this.value) return;
    if (v) this.hold();
    else this.release();
    this.value = v;
    this.show();
    this.ctx.send(this.node.address, v);
  }

  show() {
    this.button.classList.toggle('on', this.value > 0);
    this.button.setAttribute('aria-pressed', this.value > 0 ? 'true' : 'false');
  }
}

class Checkbox extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    const label = h(doc, 'label', 'w-check');
    this.input = h(doc, 'input');
    this.input.type = 'checkbox';
    label.append(this.input, h(doc, 'span', 'w-box'), h(doc, 'span', 'w-check-label', node.label));
    this.input.addEventListener('change', () => this.user(this.input.checked ? 1 : 0));
    this.el.append(label);
    this.show();
  }

  show() {
    this.input.checked = this.value > 0.5;
  }
}

/** The option whose value is nearest `v` (a menu or radio shows one). */
function nearest(options, v) {
  let best = 0;
  for (let i = 1; i < options.length; i++) {
    if (Math.abs(options[i].value - v) < Math.abs(options[best].value - v)) best = i;
  }
  return best;
}

class Menu extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.select = h(doc, 'select', 'w-select');
    this.select.setAttribute('aria-label', node.label);
    node.options.forEach((o, i) => {
      const opt = h(doc, 'option', '', o.label);
      opt.value = String(i);
      this.select.append(opt);
    });
    this.select.addEventListener('change', () => this.pick(Number(this.select.value)));
    this.el.append(labelEl(doc, node), this.select);
    this.show();
  }

  pick(i) {
    const o = this.node.options[i];
    if (!o) return;
    // The option's own value, in range (Faust does not step menu values).
    const v = Math.min(Math.max(o.value, this.node.min), this.node.max);
    this.value = v;
    this.show();
    this.ctx.send(this.node.address, v);
  }

  show() {
    if (this.node.options.length) this.select.value = String(nearest(this.node.options, this.value));
  }
}

let radioGroups = 0;

class Radio extends Menu {
  constructor(doc, node, ctx) {
    super(doc, node, ctx);
  }

  // Menu's constructor calls show(); build the radio list in place of the select.
  show() {
    if (!this.inputs) {
      const doc = this.el.ownerDocument;
      this.select.remove();
      const set = h(doc, 'div', 'w-radios');
      set.setAttribute('role', 'radiogroup');
      set.setAttribute('aria-label', this.node.label);
      const name = `radio-${++radioGroups}`;
      this.inputs = this.node.options.map((o, i) => {
        const l = h(doc, 'label', 'w-radio');
        const input = h(doc, 'input');
        input.type = 'radio';
        input.name = name;
        input.value = String(i);
        input.addEventListener('change', () => {
          if (input.checked) this.pick(i);
        });
        l.append(input, h(doc, 'span', 'w-dot'), h(doc, 'span', '', o.label));
        set.append(l);
        return input;
      });
      this.el.append(set);
    }
    if (!this.node.options.length) return;
    const i = nearest(this.node.options, this.value);
    this.inputs.forEach((input, k) => {
      input.checked = k === i;
    });
  }
}

/** A bargraph (an output of the program): a bar from min to the value. */
class Bargraph extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.vertical = node.widget === 'vbargraph';
    this.el = frame(doc, node, this.vertical ? 'vertical' : 'horizontal');
    this.bar = h(doc, 'div', 'w-bar');
    this.bar.setAttribute('role', 'meter');
    this.bar.setAttribute('aria-label', node.label);
    this.bar.append(h(doc, 'div', 'w-bar-fill'));
    this.text = h(doc, 'div', 'w-readout');
    this.el.append(labelEl(doc, node), this.bar, this.text);
    if (node.unit === 'dB') this.el.classList.add('db');
    this.show();
  }

  show() {
    const n = this.node;
    this.bar.style.setProperty('--pos', toPosition(this.value, n.min, n.max, n.scale).toFixed(4));
    aria(this.bar, n, this.value);
    this.text.textContent = fmt(n, this.value);
  }
}

/** [style:led]: a light whose brightness follows the value. */
class Led extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.light = h(doc, 'div', 'w-light');
    this.light.setAttribute('role', 'meter');
    this.light.setAttribute('aria-label', node.label);
    this.el.append(this.light, labelEl(doc, node));
    this.show();
  }

  show() {
    const n = this.node;
    this.light.style.setProperty('--pos', toPosition(this.value, n.min, n.max, n.scale).toFixed(4));
    aria(this.light, n, this.value);
  }
}

/** [style:numerical] bargraph: the value as text. */
class Numerical extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.text = h(doc, 'output', 'w-readout');
    this.el.append(labelEl(doc, node), this.text);
    this.show();
  }

  show() {
    this.text.textContent = fmt(this.node, this.value);
  }
}

class Soundfile extends Control {
  constructor(doc, node, ctx) {
    super(node, ctx);
    this.el = frame(doc, node);
    this.el.append(labelEl(doc, node), h(doc, 'div', 'w-url', node.url || ''));
  }
}

const CONSTRUCTORS = {
  hslider: Slider,
  vslider: Slider,
  knob: Knob,
  nentry: NEntry,
  button: Button,
  checkbox: Checkbox,
  menu: Menu,
  radio: Radio,
  hbargraph: Bargraph,
  vbargraph: Bargraph,
  led: Led,
  numerical: Numerical,
  soundfile: Soundfile,
};

/** The widget of one control node. */
export function createWidget(doc, node, ctx) {
  const C = CONSTRUCTORS[node.widget] ?? Numerical;
  const w = new C(doc, node, ctx);
  w.el.style.setProperty('--w', String(ctx.sizes?.get(node)?.w ?? 1));
  w.el.style.setProperty('--h', String(ctx.sizes?.get(node)?.h ?? 1));
  return w;
}

/**
 * Draws a tree (ui_model.buildTree) into a new element. `ctx` has
 * send(address, value) and sizes (layout.js); returns { el, widgets } where
 * widgets maps each address to its widget. Hidden nodes are not drawn.
 */
export function renderTree(doc, tree, ctx) {
  const widgets = new Map();
  const tabState = ctx.tabs ?? new Map(); // group path -> selected tab (kept across swaps)
  const draw = (node, path) => {
    if (node.hidden) return null;
    if (node.kind === 'control') {
      const w = createWidget(doc, node, ctx);
      widgets.set(node.address, w);
      return w.el;
    }
    const box = ctx.sizes?.get(node);
    const g = h(doc, 'section', `g g-${node.layout}${box?.wrap ? ' wrap' : ''}`);
    g.dataset.label = node.label;
    if (node.tooltip) g.title = node.tooltip;
    if (box) {
      g.style.setProperty('--w', String(box.w));
      g.style.setProperty('--h', String(box.h));
    }
    if (node.showLabel) g.append(h(doc, 'h2', 'g-label', node.label));
    const here = `${path}/${node.label}`;
    const kids = node.items.map((k) => ({ k, el: draw(k, here) })).filter((x) => x.el);
    if (node.layout !== 't') {
      const items = h(doc, 'div', 'g-items');
      kids.forEach((x) => items.append(x.el));
      g.append(items);
      return g;
    }
    const bar = h(doc, 'div', 'g-tabs');
    bar.setAttribute('role', 'tablist');
    const panels = h(doc, 'div', 'g-panels');
    const tabs = kids.map((x, i) => {
      const t = h(doc, 'button', 'g-tab', x.k.label);
      t.type = 'button';
      t.setAttribute('role', 'tab');
      t.addEventListener('click', () => select(i));
      bar.append(t);
      x.el.setAttribute('role', 'tabpanel');
      panels.append(x.el);
      return t;
    });
    const select = (i) => {
      tabState.set(here, i);
      tabs.forEach((t, k) => {
        t.setAttribute('aria-selected', k === i ? 'true' : 'false');
        kids[k].el.hidden = k !== i;
      });
    };
    select(Math.min(tabState.get(here) ?? 0, Math.max(0, kids.length - 1)));
    g.append(bar, panels);
    return g;
  };
  const el = draw(tree, '') ?? h(doc, 'section', 'g g-v');
  return { el, widgets };
}
