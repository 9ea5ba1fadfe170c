// The program's UI as the page draws it, read from Faust's JSON "ui" array
// (faust -json, the same array tutti's `GET /JSON` and the WebSocket's "ui"
// message carry). Pure data: no DOM, tested by web/test/ui_model.test.js.
//
// A node is either a group
//   { kind: 'group', layout: 'v'|'h'|'t', label, showLabel, items: [...] }
// or a control
//   { kind: 'control', type, widget, label, address, min, max, step, init,
//     unit, scale, tooltip, hidden, options, meta }
// where `type` is Faust's item type (hslider, vslider, nentry, button,
// checkbox, hbargraph, vbargraph, soundfile) and `widget` what the page draws:
//   hslider vslider knob nentry menu radio button checkbox
//   hbargraph vbargraph led numerical soundfile

/** Faust's meta array ([{key: value}, ...]) as one object; the ordering
 * keys ("0", "1", ... from [0]label) are dropped. A key given twice keeps the
 * last value, as Faust's UIs do. */
export function metaObject(meta) {
  const out = {};
  if (!Array.isArray(meta)) return out;
  for (const entry of meta) {
    if (!entry || typeof entry !== 'object') continue;
    for (const [k, v] of Object.entries(entry)) {
      if (/^\d+$/.test(k)) continue;
      out[k] = String(v);
    }
  }
  return out;
}

/** The options of [style:menu{'a':0;'b':1}] or [style:radio{...}]:
 * [{label, value}], in order; null when `style` is not of that form. */
export function parseStyleOptions(style) {
  const m = /^\s*(menu|radio)\s*\{(.*)\}\s*$/s.exec(style || '');
  if (!m) return null;
  const options = [];
  // 'label':value pairs separated by ';' (labels may hold ';' and ':' inside quotes).
  const re = /'((?:[^'\\]|\\.)*)'\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/g;
  let pair;
  while ((pair = re.exec(m[2])) !== null) {
    options.push({ label: pair[1].replace(/\\(.)/g, '$1'), value: Number(pair[2]) });
  }
  return { kind: m[1], options };
}

const SLIDERS = new Set(['hslider', 'vslider', 'nentry']);
const BARGRAPHS = new Set(['hbargraph', 'vbargraph']);

/** What the page draws for one Faust item. */
export function widgetKind(type, meta) {
  const style = (meta.style || '').trim();
  if (SLIDERS.has(type)) {
    const opts = parseStyleOptions(style);
    if (opts) return opts.kind;
    if (style === 'knob') return 'knob';
    if (style === 'slider' && type === 'nentry') return 'hslider';
    return type;
  }
  if (BARGRAPHS.has(type)) {
    if (style === 'led') return 'led';
    if (style === 'numerical') return 'numerical';
    return type;
  }
  return type; // button, checkbox, soundfile
}

function num(v, fallback) {
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** Faust's anonymous groups are labelled "0x00" (and the default top group
 * carries the program's name); such labels are not shown. */
function visibleLabel(label) {
  return !(label === '' || /^0x0+$/.test(label));
}

/** One node of the tree from one item of Faust's JSON ui array. */
export function buildNode(item) {
  if (!item || typeof item !== 'object') return null;
  const meta = metaObject(item.meta);
  const label = String(item.label ?? '');
  if (item.type === 'vgroup' || item.type === 'hgroup' || item.type === 'tgroup') {
    const items = (Array.isArray(item.items) ? item.items : []).map(buildNode).filter(Boolean);
    return {
      kind: 'group',
      layout: item.type[0],
      label,
      showLabel: visibleLabel(label),
      tooltip: meta.tooltip ?? '',
      hidden: meta.hidden === '1',
      items,
    };
  }
  if (typeof item.address !== 'string') return null;
  const isBar = BARGRAPHS.has(item.type);
  const isToggle = item.type === 'button' || item.type === 'checkbox';
  let min = num(item.min, 0);
  let max = num(item.max, isToggle ? 1 : 1);
  if (isToggle) {
    min = 0;
    max = 1;
  }
  if (max < min) [min, max] = [max, min];
  const node = {
    kind: 'control',
    type: item.type,
    widget: widgetKind(item.type, meta),
    label,
    address: item.address,
    min,
    max,
    step: isBar || isToggle ? 0 : Math.abs(num(item.step, 0)),
    init: isBar ? min : num(item.init, min),
    unit: meta.unit ?? '',
    scale: ['log', 'exp'].includes(meta.scale) ? meta.scale : 'lin',
    tooltip: meta.tooltip ?? '',
    hidden: meta.hidden === '1',
    options: parseStyleOptions(meta.style)?.options ?? null,
    output: isBar,
    meta,
  };
  if (item.type === 'soundfile') node.url = String(item.url ?? '');
  return node;
}

/** The tree of a whole ui array: one root group holding the top items
 * (usually one group named after the program). */
export function buildTree(ui) {
  const items = (Array.isArray(ui) ? ui : []).map(buildNode).filter(Boolean);
  if (items.length === 1 && items[0].kind === 'group') return items[0];
  return { kind: 'group', layout: 'v', label: '', showLabel: false, tooltip: '', hidden: false, items };
}

/** Every control of a tree, depth first, in order. */
export function controls(tree) {
  const out = [];
  const walk = (n) => {
    if (n.kind === 'control') out.push(n);
    else n.items.forEach(walk);
  };
  walk(tree);
  return out;
}

/** The address -> control map (one program may show an address once only:
 * Faust rejects duplicates). */
export function controlMap(tree) {
  return new Map(controls(tree).map((c) => [c.address, c]));
}
