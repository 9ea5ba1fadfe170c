// The page: the Session's view. Draws the program's UI (again after every
// swap), shows the values the server sends, the outputs and the swap reports.

import { buildTree, controls } from './ui_model.js';
import { layout } from './layout.js';
import { renderTree } from './widgets.js';
import { SampleRing, LevelMeters, drawScope, drawSpectrum, describeSwap } from './outputs.js';

const MAX_SWAPS = 30;

export class App {
  /**
   * @param {Document} doc
   * @param {object} els  { ui, title, status, meters, scope, spectrum, swaps, lastSwap }
   */
  constructor(doc, els) {
    this.doc = doc;
    this.els = els;
    this.session = null;
    this.tree = null;
    this.widgets = new Map();
    this.tabs = new Map();
    this.values = new Map();
    this.generation = 0; // how many times the UI was drawn
    this.units = 0;
    this.ring = new SampleRing(8192);
    this.meters = new LevelMeters(doc, els.meters);
    this.scopeDirty = false;
    this.lastSpectrum = 0;
    this.frame = this.frame.bind(this);
  }

  attach(session) {
    this.session = session;
  }

  /** Grid units across the UI's area (layout.js wraps what does not fit). */
  availableUnits() {
    const el = this.els.ui;
    const u = parseFloat(getComputedStyle(el).getPropertyValue('--u')) || 52;
    return Math.max(4, (el.clientWidth || 800) / u);
  }

  setUi(ui, values) {
    this.tree = buildTree(ui);
    this.values = values ?? this.values;
    this.draw();
    const name = this.tree.label || 'tutti';
    this.els.title.textContent = name;
    this.doc.title = `${name} \u2014 tutti`;
  }

  draw() {
    if (!this.tree) return;
    this.units = this.availableUnits();
    const sizes = layout(this.tree, this.units);
    const { el, widgets } = renderTree(this.doc, this.tree, {
      sizes,
      tabs: this.tabs,
      send: (path, v) => this.session?.send(path, v),
    });
    for (const [address, w] of widgets) {
      const v = this.values.get(address);
      if (v !== undefined) w.set(v);
    }
    this.widgets = widgets;
    this.els.ui.replaceChildren(el);
    if (controls(this.tree).length === 0) {
      const note = this.doc.createElement('p');
      note.className = 'no-controls';
      note.textContent = 'This program has no controls.';
      this.els.ui.append(note);
    }
    this.generation++;
    this.els.ui.dataset.generation = String(this.generation);
  }

  /** Lay out again when the width changed enough to matter (a phone turned). */
  resized() {
    if (this.tree && Math.abs(this.availableUnits() - this.units) >= 0.5) this.draw();
  }

  setValue(path, v) {
    this.widgets.get(path)?.set(v);
  }

  setStatus(state, detail) {
    const s = this.els.status;
    s.textContent = state === 'open' ? 'connected' : state === 'closed' ? 'disconnected' : 'connecting\u2026';
    s.className = `status ${state}`;
    s.title = detail ?? '';
    this.doc.body.classList.toggle('offline', state !== 'open');
  }

  /** A swap report: a new entry, or the update of its version's entry (a
   * version is reported when compiled, then when it plays). */
  showSwap(report) {
    const d = describeSwap(report);
    const list = this.els.swaps;
    const key = report.generation !== undefined ? String(report.generation) : '';
    let li = key ? [...list.children].find((e) => e.dataset.generation === key) : null;
    if (!li) {
      li = this.doc.createElement('li');
      li.dataset.generation = key;
      li.dataset.time = new Date().toLocaleTimeString();
      list.prepend(li);
    }
    li.className = d.state;
    const head = this.doc.createElement('div');
    head.className = 'swap-title';
    head.textContent = `${li.dataset.time} ${d.title}`;
    li.replaceChildren(head);
    if (d.details.length) {
      const p = this.doc.createElement('div');
      p.className = 'swap-details';
      p.textContent = d.details.join(' \u00b7 ');
      li.append(p);
    }
    if (d.diagnostics.length) {
      const pre = this.doc.createElement('pre');
      pre.textContent = d.diagnostics.join('\n');
      li.append(pre);
    }
    while (list.children.length > MAX_SWAPS) list.lastElementChild.remove();
    const last = this.els.lastSwap;
    if (last) {
      last.textContent = `${d.title}${d.details.length ? ` \u00b7 ${d.details[0]}` : ''}`;
      last.className = `last-swap ${d.state} flash`;
      setTimeout(() => last.classList.remove('flash'), 1200);
    }
  }

  /** The server refused something the page sent (no token, a full queue). */
  showError(text) {
    const last = this.els.lastSwap;
    if (!last) return;
    last.textContent = text;
    last.className = 'last-swap fail';
    last.title = text;
  }

  setLevels(peak, rms) {
    this.meters.set(peak, rms);
  }

  addScope(rate, channels) {
    this.ring.push(rate, channels);
    if (!this.scopeDirty) {
      this.scopeDirty = true;
      requestAnimationFrame(this.frame);
    }
  }

  frame(t) {
    this.scopeDirty = false;
    if (this.doc.hidden) return;
    drawScope(this.els.scope, this.ring);
    if (t - this.lastSpectrum > 33) {
      this.lastSpectrum = t;
      drawSpectrum(this.els.spectrum, this.ring);
    }
  }
}
