// The page in headless Chromium with no server: its files from web/public and
// a WebSocket played by this script (playwright's routeWebSocket), speaking the
// protocol of docs/control-protocol.md with the ui array that the reference
// `faust -json` printed for tests/web/all_widgets.dsp.
// usage: node e2e/static_page.js OUTDIR   (screenshots go to OUTDIR)
import { readFileSync, mkdirSync } from 'node:fs';
import { join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, DESKTOP, PHONE, WIDGET_KINDS, check, failed } from './common.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', 'public');
const ui = JSON.parse(readFileSync(join(here, '..', 'test', 'fixtures', 'all_widgets.ui.json')));
const out = process.argv[2] || 'page-artifacts';
mkdirSync(out, { recursive: true });

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const ORIGIN = 'http://tutti.test';
const QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/>'
  + '<path d="M1 1h3v3h-3z"/></svg>';

async function openPage(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/qr.svg') return route.fulfill({ body: QR, contentType: 'image/svg+xml' });
    const file = path === '/' ? 'index.html' : path.slice(1);
    try {
      return route.fulfill({ body: readFileSync(join(root, file)), contentType: TYPES[extname(file)] });
    } catch {
      return route.fulfill({ status: 404, body: 'not found' });
    }
  });
  const server = { received: [], socket: null, url: null };
  await page.routeWebSocket(`${ORIGIN.replace('http', 'ws')}/ws**`, (ws) => {
    server.socket = ws;
    server.url = ws.url();
    ws.onMessage((m) => server.received.push(JSON.parse(m)));
    ws.send(JSON.stringify({ type: 'ui', ui }));
    ws.send(JSON.stringify({ type: 'values', values: { '/all_widgets/oscillator/freq': 880 } }));
  });
  await page.goto(`${ORIGIN}/?token=s3cret`);
  await page.waitForSelector('#ui .w');
  return { context, page, server, errors };
}

const browser = await launch();
try {
  const { page, server, errors, context } = await openPage(browser, DESKTOP);
  check('the WebSocket URL carries the token', server.url === 'ws://tutti.test/ws?token=s3cret', server.url);
  check('status shows connected', (await page.textContent('#status')) === 'connected');
  const kinds = await page.$$eval('#ui [data-widget]', (els) => els.map((e) => e.dataset.widget));
  for (const k of WIDGET_KINDS) check(`widget kind ${k} drawn`, kinds.includes(k));
  check('the hidden control is not drawn', !(await page.$('[data-address="/all_widgets/oscillator/secret"]')));
  check('groups: h, v and t', (await page.$$('.g-h')).length >= 1 && (await page.$$('.g-v')).length >= 1
    && (await page.$$('.g-t')).length === 1);
  check('the tab group shows one tab at a time',
    (await page.$$eval('.g-t .g-panels > [role=tabpanel]', (els) => els.filter((e) => getComputedStyle(e).display !== 'none').length)) === 1);
  const freqBox = '[data-address="/all_widgets/oscillator/freq"] .w-value';
  check('values snapshot shown with the unit', (await page.inputValue(freqBox)) === '880 Hz', await page.inputValue(freqBox));
  check('tooltip on freq', (await page.getAttribute('[data-address="/all_widgets/oscillator/freq"]', 'title')) === 'pitch of the tone');
  check('gain shows dB', (await page.inputValue('[data-address="/all_widgets/oscillator/gain"] .w-value')) === '-12.0 dB');
  check('menu options', (await page.$$eval('.w-menu option', (o) => o.map((x) => x.textContent))).join() === 'sine,saw,square');
  check('title is the program name', (await page.title()).startsWith('all widgets'));

  // Drag the log slider to its middle: 500 Hz (sqrt(50 * 5000)).
  const track = await page.$('[data-address="/all_widgets/oscillator/freq"] .w-track');
  const box = await track.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForTimeout(50);
  const sent = server.received.filter((m) => m.path === '/all_widgets/oscillator/freq').at(-1);
  check('a click at the middle of the log slider sends 500 Hz', sent?.type === 'param' && sent.value === 500, JSON.stringify(sent));

  // The button: 1 while held, 0 on release.
  const before = server.received.length;
  const gate = await (await page.$('.w-button')).boundingBox();
  await page.mouse.move(gate.x + gate.width / 2, gate.y + gate.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(30);
  await page.mouse.up();
  await page.waitForTimeout(30);
  const presses = server.received.slice(before).map((m) => m.value);
  check('the button sends 1 then 0', presses.join() === '1,0', presses.join());

  // The knob: dragged up 100 px, half its range (200 px for all of it): 1 -> 5.5.
  const dial = await (await page.$('[data-address="/all_widgets/oscillator/drive"] .w-dial')).boundingBox();
  await page.mouse.move(dial.x + dial.width / 2, dial.y + dial.height / 2);
  await page.mouse.down();
  await page.mouse.move(dial.x + dial.width / 2, dial.y + dial.height / 2 - 100, { steps: 10 });
  await page.mouse.up();
  await page.waitForTimeout(50);
  const knob = server.received.filter((m) => m.path === '/all_widgets/oscillator/drive').at(-1);
  check('dragging the knob up 100 px sends the middle of its range', knob?.value === 5.5, JSON.stringify(knob));
  // The entry: + steps it.
  await page.click('[data-address="/all_widgets/play/octave"] .w-step:has-text("+")');
  await page.waitForTimeout(30);
  check('the entry\'s + sends one step up', server.received.at(-1)?.path === '/all_widgets/play/octave'
    && server.received.at(-1).value === 1);

  await page.click('.w-check');
  await page.waitForTimeout(30);
  check('the checkbox sends 1', server.received.at(-1)?.path === '/all_widgets/play/mute' && server.received.at(-1).value === 1);
  await page.selectOption('.w-menu select', '2');
  await page.waitForTimeout(30);
  check('the menu sends the option value', server.received.at(-1)?.value === 2);

  // Values from the server: a bargraph moves, the knob turns.
  server.socket.send(JSON.stringify({ type: 'param', path: '/all_widgets/meters/level', value: -6 }));
  server.socket.send(JSON.stringify({ type: 'param', path: '/all_widgets/oscillator/drive', value: 5.5 }));
  server.socket.send(JSON.stringify({ type: 'levels', peak: [0.9, 0.5], rms: [0.5, 0.25] }));
  const frames = Array.from({ length: 2048 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 12000) * 0.8);
  server.socket.send(JSON.stringify({ type: 'scope', rate: 12000, channels: [frames, frames.map((v) => v * 0.5)] }));
  await page.waitForTimeout(100);
  const pos = await page.$eval('[data-address="/all_widgets/meters/level"] .w-bar', (e) => e.style.getPropertyValue('--pos'));
  check('a bargraph moves', Math.abs(Number(pos) - 64 / 76) < 1e-3, pos);
  check('the knob shows 5.5', (await page.inputValue('[data-address="/all_widgets/oscillator/drive"] .w-value')) === '5.5');
  check('two level meters', (await page.$$('.meter')).length === 2);
  await page.screenshot({ path: join(out, 'static-desktop.png'), fullPage: true });

  // A swap: a new ui array; the page redraws, the report shows.
  const gen = await page.getAttribute('#ui', 'data-generation');
  server.socket.send(JSON.stringify({ type: 'swap', report: { generation: 2, compiled: true, committed: true, compile_ms: 31.4, carried: 12, reset: 0 } }));
  const smaller = [{ type: 'vgroup', label: 'all widgets', items: [ui[0].items[0]] }];
  server.socket.send(JSON.stringify({ type: 'ui', ui: smaller }));
  await page.waitForFunction((g) => document.querySelector('#ui').dataset.generation !== g, gen);
  check('a swap redraws the UI', (await page.$$('#ui [data-widget]')).length === 4);
  check('the swap report is shown', (await page.textContent('#swaps li')).includes('swapped #2'));
  check('values survive the swap', (await page.inputValue(freqBox)) === '500 Hz', await page.inputValue(freqBox));
  server.socket.send(JSON.stringify({ type: 'error', error: 'this connection may not set values (the token is missing)' }));
  await page.waitForTimeout(50);
  check('a refusal from the server is shown', (await page.textContent('#last-swap')).includes('token is missing'));
  server.socket.send(JSON.stringify({ type: 'ui', ui: [{ type: 'vgroup', label: 'silent', items: [] }] }));
  await page.waitForSelector('.no-controls');
  check('a program without controls says so', (await page.$$('#ui [data-widget]')).length === 0);
  check('no error in the page', errors.length === 0, errors.join(' | '));
  await context.close();

  const phone = await openPage(browser, PHONE);
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('the phone layout does not scroll sideways', overflow <= 0, `${overflow} px`);
  const tap = await (await phone.page.$('[data-address="/all_widgets/oscillator/gain"] .w-track')).boundingBox();
  await phone.page.touchscreen.tap(tap.x + tap.width / 2, tap.y + 2);
  await phone.page.waitForTimeout(50);
  const g = phone.server.received.filter((m) => m.path === '/all_widgets/oscillator/gain').at(-1);
  check('a tap on a vertical slider sends a value near its top', g !== undefined && g.value > -3, JSON.stringify(g));
  await phone.page.screenshot({ path: join(out, 'static-phone.png'), fullPage: true });
  check('no error in the phone page', phone.errors.length === 0, phone.errors.join(' | '));
  await phone.context.close();
} finally {
  await browser.close();
}
console.log(`${failed() ? 'FAILED' : 'passed'}: screenshots in ${out}`);
process.exit(failed() ? 1 : 0);
