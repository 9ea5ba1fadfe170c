// What the program outputs, beyond Faust's pages: a level meter per output
// channel (peak and RMS in dBFS, with a peak hold), an oscilloscope and a
// spectrum (FFT of the scope frames), and the report of every hot swap.
// SampleRing and describeSwap are pure (web/test/outputs.test.js); the views
// draw on canvases at the display's refresh rate.

import { spectrum } from './fft.js';
import { amplitudeToDb } from './scale.js';

/** The last `capacity` samples of each channel. */
export class SampleRing {
  constructor(capacity = 4096) {
    this.capacity = capacity;
    this.channels = [];
    this.rate = 0;
    this.count = 0; // samples written per channel, ever
  }

  /** Appends one scope message's frames ([[ch0...], [ch1...]]). */
  push(rate, channels) {
    if (rate !== this.rate || channels.length !== this.channels.length) {
      this.rate = rate;
      this.channels = channels.map(() => new Float32Array(this.capacity));
      this.count = 0;
    }
    const n = Math.min(...channels.map((c) => c.length));
    channels.forEach((src, c) => {
      const ring = this.channels[c];
      for (let i = 0; i < n; i++) ring[(this.count + i) % this.capacity] = Number(src[i]) || 0;
    });
    this.count += n;
  }

  /** The last n samples of channel c, oldest first (fewer if not yet there). */
  last(c, n) {
    const ring = this.channels[c];
    if (!ring) return new Float32Array(0);
    const k = Math.min(n, this.capacity, this.count);
    const out = new Float32Array(k);
    const start = this.count - k;
    for (let i = 0; i < k; i++) out[i] = ring[(start + i) % this.capacity];
    return out;
  }
}

/** Where an oscilloscope starts: the first rising zero crossing of the newest
 * `span` samples it can show (so a periodic wave stands still), else the start. */
export function triggerIndex(samples, span) {
  const limit = samples.length - span;
  for (let i = Math.max(1, limit - span); i < limit; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) return i;
  }
  return Math.max(0, limit);
}

function num(v, d = 1) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : null;
}

function count(v) {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.length;
  return null;
}

/** One diagnostic as a line of text (a string, or {file,line,col,severity,message}). */
export function diagnosticText(d) {
  if (typeof d === 'string') return d;
  if (!d || typeof d !== 'object') return String(d);
  const where = [d.file, d.line, d.col ?? d.column].filter((x) => x !== undefined && x !== '').join(':');
  const sev = d.severity ?? d.level ?? 'error';
  return `${where ? `${where}: ` : ''}${sev}: ${d.message ?? d.text ?? JSON.stringify(d)}`;
}

/**
 * A swap report as the page shows it: { state, title, details: [..],
 * diagnostics: [..] }. The engine tells a version's story in steps: compiled
 * (or not: state 'fail', with the diagnostics), then committed on the audio
 * thread (state 'ok'); in between, or when a newer version replaced it before
 * it played, the state is 'pending'. A report without these fields is 'ok'
 * unless it says ok: false.
 */
export function describeSwap(r) {
  const gen = r.generation !== undefined ? ` #${r.generation}` : '';
  let state = 'ok';
  if (r.ok === false || r.compiled === false) state = 'fail';
  else if (r.committed === false) state = 'pending';
  const details = [];
  const ms = num(r.compile_ms);
  if (state === 'fail') {
    if (ms !== null) details.push(`after ${ms} ms; the old version plays on`);
  } else if (ms !== null) {
    details.push(`compiled in ${ms} ms`);
  }
  const carried = count(r.carried);
  const reset = count(r.reset);
  if (state !== 'fail') {
    if (carried !== null) details.push(`${carried} carried`);
    if (reset !== null) details.push(`${reset} reset`);
    if (r.crossfade === true) details.push('crossfade');
    else if (typeof r.crossfade === 'number' && r.crossfade > 0) details.push(`crossfade ${num(r.crossfade)} ms`);
    for (const k of ['resized', 'rebuilt', 'dropped']) {
      const n = count(r[k]);
      if (n) details.push(`${n} ${k}`);
    }
  }
  if (typeof r.kind === 'string' && r.kind) details.push(r.kind);
  // Diagnostics: a list (strings or objects), or one text of lines.
  const list = Array.isArray(r.diagnostics) ? r.diagnostics
    : typeof r.diagnostics === 'string' ? r.diagnostics.split('\n').filter((l) => l.trim() !== '') : [];
  const diagnostics = list.map(diagnosticText);
  const title = state === 'fail' ? `compile failed${gen}`
    : state === 'pending' ? `compiled${gen}, not playing yet`
      : r.generation === 1 ? `started${gen}` : `swapped${gen}`;
  return { state, ok: state !== 'fail', title, details, diagnostics };
}

const METER_FLOOR = -60;
const dbPos = (db) => Math.min(1, Math.max(0, (db - METER_FLOOR) / -METER_FLOOR));

/** The level meters: one bar per output channel, RMS filled, peak as a line,
 * the highest peak of the last 1.5 s held and printed. */
export class LevelMeters {
  constructor(doc, parent) {
    this.doc = doc;
    this.el = doc.createElement('div');
    this.el.className = 'meters';
    parent.append(this.el);
    this.bars = [];
    this.hold = [];
  }

  set(peak, rms, now = performance.now()) {
    if (this.bars.length !== peak.length) this.build(peak.length);
    peak.forEach((p, c) => {
      const pdb = amplitudeToDb(p);
      const rdb = amplitudeToDb(rms[c] ?? p);
      const hold = this.hold[c];
      if (pdb >= hold.db || now - hold.at > 1500) {
        hold.db = pdb;
        hold.at = now;
      }
      const b = this.bars[c];
      b.el.style.setProperty('--rms', dbPos(rdb).toFixed(4));
      b.el.style.setProperty('--peak', dbPos(pdb).toFixed(4));
      b.el.style.setProperty('--hold', dbPos(hold.db).toFixed(4));
      b.el.classList.toggle('clip', hold.db >= 0);
      b.text.textContent = hold.db <= -90 ? '-\u221e' : hold.db.toFixed(1);
      b.el.setAttribute('aria-valuenow', pdb.toFixed(1));
    });
  }

  build(n) {
    this.el.replaceChildren();
    this.bars = [];
    this.hold = [];
    for (let c = 0; c < n; c++) {
      const el = this.doc.createElement('div');
      el.className = 'meter';
      el.setAttribute('role', 'meter');
      el.setAttribute('aria-label', `output ${c + 1} level (dBFS)`);
      el.setAttribute('aria-valuemin', String(METER_FLOOR));
      el.setAttribute('aria-valuemax', '0');
      const bar = this.doc.createElement('div');
      bar.className = 'meter-bar';
      const text = this.doc.createElement('div');
      text.className = 'meter-text';
      const name = this.doc.createElement('div');
      name.className = 'meter-name';
      name.textContent = String(c + 1);
      el.append(bar, text, name);
      this.el.append(el);
      this.bars.push({ el, text });
      this.hold.push({ db: -Infinity, at: 0 });
    }
  }
}

const COLORS = ['#4fc3f7', '#ffb74d', '#81c784', '#e57373', '#ba68c8', '#fff176', '#4db6ac', '#f06292'];

function fitCanvas(canvas) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const hgt = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  return { w, h: hgt, dpr };
}

/** How many samples the scope shows: about four periods of the first
 * channel's wave (from its rising zero crossings), within [min, max]; max
 * when there is no period to see. */
export function scopeSpan(samples, min = 64, max = 1024) {
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      if (first < 0) first = i;
      last = i;
      crossings++;
    }
  }
  if (crossings < 3) return max;
  const period = (last - first) / (crossings - 1);
  return Math.max(min, Math.min(max, Math.round(4 * period)));
}

/** The oscilloscope: the newest frames of every channel, triggered on a
 * rising zero crossing of the first. */
export function drawScope(canvas, ring, span = scopeSpan(ring.last(0, 2048))) {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { w, h, dpr } = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = 'rgba(255,255,255,0.12)';
  ctx.lineWidth = dpr;
  ctx.beginPath();
  ctx.moveTo(0, h / 2);
  ctx.lineTo(w, h / 2);
  ctx.stroke();
  if (!ring.channels.length) return;
  const first = ring.last(0, span * 2);
  const start = triggerIndex(first, span);
  const offset = first.length - start; // how far back the trigger is
  ring.channels.forEach((_, c) => {
    const s = ring.last(c, offset);
    const n = Math.min(span, s.length);
    if (n < 2) return;
    ctx.strokeStyle = COLORS[c % COLORS.length];
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = (i / (span - 1)) * w;
      const y = h / 2 - Math.max(-1, Math.min(1, s[i])) * (h / 2 - 2 * dpr);
      if (i) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    }
    ctx.stroke();
  });
}

/** The spectrum: magnitude in dBFS (-100..0) over a log frequency axis. */
export function drawSpectrum(canvas, ring, size = 2048) {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { w, h, dpr } = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  if (!ring.channels.length || !ring.rate) return;
  const nyquist = ring.rate / 2;
  const fmin = Math.min(20, nyquist / 100);
  const xOf = (f) => (Math.log(f / fmin) / Math.log(nyquist / fmin)) * w;
  const yOf = (db) => (Math.min(0, Math.max(-100, db)) / -100) * h;
  ctx.fillStyle = 'rgba(255,255,255,0.35)';
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  ctx.strokeStyle = 'rgba(255,255,255,0.1)';
  ctx.lineWidth = dpr;
  for (const f of [100, 1000, 10000]) {
    if (f <= fmin || f >= nyquist) continue;
    ctx.beginPath();
    ctx.moveTo(xOf(f), 0);
    ctx.lineTo(xOf(f), h);
    ctx.stroke();
    ctx.fillText(f >= 1000 ? `${f / 1000}k` : String(f), xOf(f) + 2 * dpr, h - 3 * dpr);
  }
  ring.channels.forEach((_, c) => {
    const sp = spectrum(ring.last(c, size), ring.rate, size);
    if (!sp) return;
    ctx.strokeStyle = COLORS[c % COLORS.length];
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    let started = false;
    for (let k = 1; k < sp.db.length; k++) {
      const f = k * sp.binHz;
      if (f < fmin) continue;
      const x = xOf(f);
      const y = yOf(sp.db[k]);
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
    }
    ctx.stroke();
  });
}
