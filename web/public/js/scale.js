// Value <-> position mapping of the controls ([scale:lin|log|exp]), steps and
// the text shown for a value. Pure functions (web/test/scale.test.js).
//
// The mappings are Faust's own (faust/gui/ValueConverter.h: LinearValueConverter,
// LogValueConverter, ExpValueConverter): the position of a value on the widget,
// between 0 and 1, is linear in the value, in log(value) or in exp(value).
// Where Faust's formula breaks down we keep its shape and stay usable:
//  - log with min <= 0 (Faust clamps to DBL_MIN, which squeezes the whole
//    widget into its last pixel): a log of the distance from min, spanning
//    three decades of the range;
//  - exp with large values: exp is taken relative to max, so nothing overflows.

const clamp01 = (p) => (p < 0 ? 0 : p > 1 ? 1 : Number.isNaN(p) ? 0 : p);

/** Position in [0, 1] of `value` on a control from `min` to `max`. */
export function toPosition(value, min, max, scale = 'lin') {
  if (!(max > min)) return 0;
  const v = Math.min(Math.max(value, min), max);
  if (scale === 'log') {
    if (min > 0) return clamp01(Math.log(v / min) / Math.log(max / min));
    const d = (max - min) / 1000;
    return clamp01(Math.log((v - min + d) / d) / Math.log((max - min + d) / d));
  }
  if (scale === 'exp') {
    const lo = Math.exp(min - max);
    return clamp01((Math.exp(v - max) - lo) / (1 - lo));
  }
  return clamp01((v - min) / (max - min));
}

/** The value at position `pos` in [0, 1] (the inverse of toPosition). */
export function fromPosition(pos, min, max, scale = 'lin') {
  const p = clamp01(pos);
  if (!(max > min)) return min;
  let v;
  if (scale === 'log') {
    if (min > 0) {
      v = min * Math.pow(max / min, p);
    } else {
      const d = (max - min) / 1000;
      v = min - d + d * Math.pow((max - min + d) / d, p);
    }
  } else if (scale === 'exp') {
    const lo = Math.exp(min - max);
    v = max + Math.log(lo + p * (1 - lo));
  } else {
    v = min + p * (max - min);
  }
  return Math.min(Math.max(v, min), max);
}

/** `value` on the control's grid (min + k * step) and in its range. */
export function quantize(value, min, max, step) {
  let v = Number(value);
  if (!Number.isFinite(v)) v = min;
  if (step > 0) v = min + Math.round((v - min) / step) * step;
  v = Math.min(Math.max(v, min), max);
  return Number(v.toPrecision(12)); // drop the float noise of min + k * step
}

/** How many decimals a value shows: those of the step (0.01 -> 2, 0.25 -> 2,
 * 1 -> 0), at most 6; for a control with no step (bargraphs), from the range. */
export function decimals(step, min = 0, max = 1) {
  if (step > 0 && Number.isFinite(step)) {
    for (let d = 0; d < 6; d++) {
      const scaled = step * Math.pow(10, d);
      if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
    }
    return 6;
  }
  const range = Math.abs(max - min);
  return range >= 1000 ? 0 : range >= 10 ? 1 : range >= 1 ? 2 : 3;
}

/** The text of a value: its decimals, then the unit ("-12.0 dB", "440 Hz"). */
export function formatValue(value, { step = 0, min = 0, max = 1, unit = '' } = {}) {
  if (!Number.isFinite(value)) return unit ? `- ${unit}` : '-';
  let text = value.toFixed(decimals(step, min, max));
  if (/^-0(\.0*)?$/.test(text)) text = text.slice(1);
  return unit ? `${text} ${unit}` : text;
}

/** The value a user typed ("440", "440 Hz", "-6,5"), or NaN. */
export function parseValue(text, unit = '') {
  let t = String(text).trim();
  if (unit && t.toLowerCase().endsWith(unit.toLowerCase())) t = t.slice(0, t.length - unit.length).trim();
  t = t.replace(',', '.');
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

/** Linear amplitude -> dBFS, floored (a level meter's scale). */
export function amplitudeToDb(a, floor = -90) {
  const db = 20 * Math.log10(Math.abs(a));
  return Number.isFinite(db) ? Math.max(db, floor) : floor;
}
