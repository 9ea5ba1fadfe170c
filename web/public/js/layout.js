// The layout of the program's UI, as Faust's UIs lay it out: a vgroup stacks
// its items top to bottom, an hgroup left to right, a tgroup shows one item at
// a time under a row of tabs. Every widget has a natural size in grid units
// (a horizontal slider is long and low, a vertical one tall and narrow, a knob
// small); a group's size follows from its items. On a screen narrower than an
// hgroup's natural width the items wrap onto further rows (a phone), instead
// of shrinking below a usable size. Pure (web/test/layout.test.js).

/** Natural sizes of the widgets, in grid units ({w, h}). */
export const WIDGET_SIZE = Object.freeze({
  hslider: { w: 5, h: 1 },
  vslider: { w: 1, h: 5 },
  knob: { w: 1.5, h: 2 },
  nentry: { w: 1.5, h: 1 },
  menu: { w: 2, h: 1 },
  radio: { w: 2, h: 1 }, // + 0.5 per option (vertical list)
  button: { w: 2, h: 1 },
  checkbox: { w: 2, h: 1 },
  hbargraph: { w: 5, h: 1 },
  vbargraph: { w: 1, h: 5 },
  led: { w: 1, h: 1 },
  numerical: { w: 1.5, h: 1 },
  soundfile: { w: 2, h: 1 },
});

/** Space a group adds: its padding around the items, and its label's row. */
export const GROUP_PAD = 0.25;
export const GROUP_LABEL = 0.5;
export const TAB_BAR = 0.75;

export function widgetSize(node) {
  const base = WIDGET_SIZE[node.widget] ?? { w: 2, h: 1 };
  if (node.widget === 'radio') {
    return { w: base.w, h: base.h + 0.5 * (node.options?.length ?? 0) };
  }
  return { w: base.w, h: base.h };
}

/**
 * Lays out a tree (ui_model.buildTree). Returns a Map from node to
 *   { w, h, direction: 'column'|'row'|'tabs', wrap: boolean }
 * (direction and wrap for groups). `width` is the width available to the
 * root in grid units (Infinity: no wrapping). Hidden nodes take no space
 * and are left out of the map.
 */
export function layout(tree, width = Infinity) {
  const boxes = new Map();
  const size = (node) => {
    if (node.hidden) return null;
    if (node.kind === 'control') {
      const s = widgetSize(node);
      boxes.set(node, s);
      return s;
    }
    const kids = node.items.map(size).filter(Boolean);
    const label = node.showLabel ? GROUP_LABEL : 0;
    let w = 0;
    let h = 0;
    if (node.layout === 'h') {
      for (const k of kids) {
        w += k.w;
        h = Math.max(h, k.h);
      }
    } else {
      for (const k of kids) {
        w = Math.max(w, k.w);
        h = node.layout === 't' ? Math.max(h, k.h) : h + k.h;
      }
      if (node.layout === 't') h += TAB_BAR;
    }
    const box = {
      w: w + 2 * GROUP_PAD,
      h: h + 2 * GROUP_PAD + label,
      direction: node.layout === 'h' ? 'row' : node.layout === 't' ? 'tabs' : 'column',
      wrap: false,
    };
    boxes.set(node, box);
    return box;
  };
  size(tree);
  // Top down: an hgroup wider than the space it gets wraps (its items keep
  // their natural sizes, capped at the group's inner width).
  const mark = (node, avail) => {
    const box = boxes.get(node);
    if (!box || node.kind === 'control') return;
    box.wrap = box.direction === 'row' && box.w > avail;
    for (const k of node.items) mark(k, avail - 2 * GROUP_PAD);
  };
  mark(tree, width);
  // Bottom up again: the sizes of the wrapped groups (rows filled left to right).
  const resize = (node, avail) => {
    const box = boxes.get(node);
    if (!box || node.kind === 'control') return box;
    const inner = avail - 2 * GROUP_PAD;
    const kids = node.items.map((k) => resize(k, inner)).filter(Boolean);
    if (!box.wrap) {
      if (box.direction === 'row') {
        box.w = kids.reduce((a, k) => a + k.w, 0) + 2 * GROUP_PAD;
        box.h = Math.max(0, ...kids.map((k) => k.h)) + 2 * GROUP_PAD + (node.showLabel ? GROUP_LABEL : 0);
      } else {
        box.w = Math.max(0, ...kids.map((k) => k.w)) + 2 * GROUP_PAD;
        const inside = box.direction === 'tabs'
          ? Math.max(0, ...kids.map((k) => k.h)) + TAB_BAR
          : kids.reduce((a, k) => a + k.h, 0);
        box.h = inside + 2 * GROUP_PAD + (node.showLabel ? GROUP_LABEL : 0);
      }
      return box;
    }
    let rowW = 0;
    let rowH = 0;
    let total = 0;
    let widest = 0;
    for (const kb of kids) {
      const w = Math.min(kb.w, inner);
      if (rowW > 0 && rowW + w > inner) {
        total += rowH;
        rowW = 0;
        rowH = 0;
      }
      rowW += w;
      rowH = Math.max(rowH, kb.h);
      widest = Math.max(widest, rowW);
    }
    total += rowH;
    box.w = widest + 2 * GROUP_PAD;
    box.h = total + 2 * GROUP_PAD + (node.showLabel ? GROUP_LABEL : 0);
    return box;
  };
  resize(tree, width);
  return boxes;
}
