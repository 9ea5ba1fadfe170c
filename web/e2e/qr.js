// QR codes back to text: the terminal's half blocks drawn to a PBM image, an
// SVG rasterised by Chromium, both read by zbarimg (zbar-tools), a decoder
// nobody here wrote.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const CELLS = { '\u2588': [1, 1], '\u2580': [1, 0], '\u2584': [0, 1], ' ': [0, 0] };

/** The half-block lines of a terminal text (other lines, such as the URLs
 * printed above the code, are left out). */
export function qrLines(text) {
  return text.split('\n').filter((l) => l.length > 0 && [...l].every((c) => c in CELLS) && l.trim() !== '');
}

/**
 * A PBM (P1) image of the code as a dark terminal shows it: blocks light,
 * spaces and the background around the printed text dark. `scale` pixels per
 * module; `border` modules of background around.
 */
export function terminalToPbm(text, scale = 4, border = 8) {
  const lines = qrLines(text);
  if (!lines.length) throw new Error('no QR half blocks in the text');
  const width = Math.max(...lines.map((l) => [...l].length));
  const rows = [];
  for (const l of lines) {
    const cells = [...l.padEnd(width, ' ')];
    rows.push(cells.map((c) => CELLS[c][0]), cells.map((c) => CELLS[c][1]));
  }
  const w = (width + 2 * border) * scale;
  const h = (rows.length + 2 * border) * scale;
  const dark = `${'1 '.repeat(w).trim()}\n`;
  let out = `P1\n${w} ${h}\n${dark.repeat(border * scale)}`;
  for (const r of rows) {
    const px = [];
    for (let i = 0; i < border * scale; i++) px.push(1);
    for (const v of r) for (let i = 0; i < scale; i++) px.push(v ? 0 : 1); // PBM: 1 is black
    for (let i = 0; i < border * scale; i++) px.push(1);
    out += `${px.join(' ')}\n`.repeat(scale);
  }
  return out + dark.repeat(border * scale);
}

/** What zbarimg reads in an image file: the QR payloads, one per code. */
export function zbar(file) {
  let out = '';
  try {
    out = execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = e.stdout ?? ''; // exit 4: nothing found
  }
  return out.split('\n').filter(Boolean);
}

export function decodeTerminal(text, file) {
  writeFileSync(file, terminalToPbm(text));
  return zbar(file);
}

/** Rasterises an SVG document in a browser page (white around it) to a PNG
 * and decodes it. */
export async function decodeSvg(browser, svgText, file, px = 300) {
  const page = await browser.newPage({ viewport: { width: px + 40, height: px + 40 } });
  const data = Buffer.from(svgText).toString('base64');
  await page.setContent(`<body style="margin:0;background:#fff"><img style="margin:20px" width="${px}" height="${px}" `
    + `src="data:image/svg+xml;base64,${data}"></body>`);
  await page.waitForFunction(() => document.images[0].complete);
  await page.screenshot({ path: file });
  await page.close();
  return zbar(file);
}
