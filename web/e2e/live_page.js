// The page against the real thing: `tutti play --driver null --watch` serving
// tests/web/all_widgets.dsp, in headless Chromium (run inside `unshare -n`).
//   - the terminal banner prints the OSC and HTTP URLs; its QR code and the
//     served /qr.svg decode to the page URL;
//   - the page draws every widget kind;
//   - moving a slider changes the engine's value (read back with GET /<address>)
//     and what the program renders (its level bargraph, fed by the output);
//   - a bargraph moves; the level meters and the scope get the output;
//   - two pages stay in sync (and how long a change takes to cross);
//   - saving an edited program swaps it in and the page redraws, with the report;
//   - screenshots, desktop and phone.
// usage: node e2e/live_page.js TUTTI PROGRAM.dsp OUTDIR [PORT]   (HTTP on PORT, OSC on the next three)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, DESKTOP, PHONE, WIDGET_KINDS, check, failed, until } from './common.js';
import { decodeTerminal, decodeSvg } from './qr.js';

const [tutti, source, out = 'live-artifacts', portArg = '23100'] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'tutti-web-'));
const program = join(dir, 'all_widgets.dsp');
const original = readFileSync(source, 'utf8');
writeFileSync(program, original);

// ---- start tutti play and read its banner ----
const osc = [1, 2, 3].map((k) => String(Number(portArg) + k)); // in, out, errors
const child = spawn(tutti, ['play', program, '--driver', 'null', '--watch', '--http-port', portArg,
  '--osc-port', osc[0], '--osc-outport', osc[1], '--osc-errport', osc[2]],
  { stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => { stdout += d; });
child.stderr.on('data', (d) => { stderr += d; });
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

async function stop() {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), 5000))]);
  if (r === null) {
    child.kill('SIGKILL');
    await exited;
  }
  return r;
}

const browser = await launch();
try {
  const banner = await until(() => /control: page (\S+)\n[\s\S]*\u2588\n\u2580+\n/.test(stdout) && stdout, 15000);
  writeFileSync(join(out, 'banner.txt'), stdout);
  if (!check('tutti play prints the control banner', Boolean(banner), stdout + stderr)) throw new Error('no banner');
  const pageUrl = /control: page (\S+)/.exec(stdout)[1];
  const httpUrl = /control: HTTP (\S+)/.exec(stdout)?.[1];
  check('the banner prints the HTTP URL', httpUrl === `http://127.0.0.1:${portArg}/`, httpUrl);
  const oscLine = /^OSC: .*$/m.exec(stdout)?.[0];
  check('tutti play prints the OSC URL', oscLine?.startsWith(`OSC: osc.udp://127.0.0.1:${osc[0]}/`), oscLine);
  const printed = decodeTerminal(stdout, join(out, 'terminal-qr.pbm'));
  check('the printed QR code decodes to the page URL', printed.length === 1 && printed[0] === pageUrl,
    JSON.stringify(printed));
  const base = new URL(pageUrl);
  const get = async (path) => (await fetch(new URL(path, base))).text();
  const qrResponse = await fetch(new URL('/qr.svg', base));
  const qrSvg = await qrResponse.text();
  check('GET /qr.svg is an SVG', qrResponse.ok && qrResponse.headers.get('content-type')?.startsWith('image/svg+xml'),
    `${qrResponse.status} ${qrResponse.headers.get('content-type')}`);
  const served = qrResponse.ok ? await decodeSvg(browser, qrSvg, join(out, 'served-qr.png')) : [];
  check('the served QR code decodes to the page URL', served.length === 1 && served[0] === pageUrl,
    JSON.stringify(served));

  // ---- the page, desktop ----
  const errors = [];
  const open = async (options, name) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${name}: ${m.text()}`);
    });
    await page.goto(pageUrl);
    await page.waitForSelector('#ui [data-widget]');
    await page.waitForFunction(() => document.querySelector('#status').classList.contains('open'));
    return { context, page };
  };
  const { page } = await open(DESKTOP, 'desktop');
  const kinds = await page.$$eval('#ui [data-widget]', (els) => els.map((e) => e.dataset.widget));
  for (const k of WIDGET_KINDS) check(`widget kind ${k} drawn`, kinds.includes(k));
  check('the hidden control is not drawn', !(await page.$('[data-address="/all_widgets/oscillator/secret"]')));
  check('the page shows the QR code', await page.$eval('#qr', (img) => img.complete && img.naturalWidth > 0));

  // The program's own level bargraph before the move (gain -12 dB).
  const levelSel = '[data-address="/all_widgets/meters/level"] .w-bar';
  const level = () => page.$eval(levelSel, (e) => Number(e.getAttribute('aria-valuenow')));
  const before = await until(async () => {
    const v = await level();
    return v > -40 ? v : null;
  }, 5000);
  check('the level bargraph shows the output (gain -12 dB)', before !== null, String(before));

  // Drag the gain slider to the top: 0 dB.
  const gainAddr = '/all_widgets/oscillator/gain';
  const track = await (await page.$(`[data-address="${gainAddr}"] .w-track`)).boundingBox();
  await page.mouse.move(track.x + track.width / 2, track.y + track.height * 0.6);
  await page.mouse.down();
  await page.mouse.move(track.x + track.width / 2, track.y + track.height * 0.3, { steps: 5 });
  await page.mouse.move(track.x + track.width / 2, track.y - 20, { steps: 5 });
  await page.mouse.up();
  const engineGain = await until(async () => {
    const line = await get(gainAddr);
    const v = Number(line.trim().split(/\s+/)[1]);
    return v === 0 ? line : null;
  }, 3000);
  check('dragging the slider sets the engine (GET /<address> reads 0)', engineGain !== null, engineGain);
  check('the slider shows 0.0 dB', (await page.inputValue(`[data-address="${gainAddr}"] .w-value`)) === '0.0 dB');
  const after = await until(async () => {
    const v = await level();
    return v > before + 6 ? v : null;
  }, 5000);
  check('the rendered output follows: the level bargraph moves up (gain -12 -> 0 dB)', after !== null,
    `${before} -> ${after ?? await level()}`);
  const meters = await page.$$eval('.meter', (els) => els.map((e) => Number(e.getAttribute('aria-valuenow'))));
  check('a level meter per output channel, showing the signal', meters.length === 2 && meters.every((v) => v > -30),
    JSON.stringify(meters));
  check('the scope gets frames', await page.evaluate(() => window.tutti.app.ring.count > 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(out, 'live-desktop.png'), fullPage: true });

  // ---- a second page (a phone): in sync both ways ----
  const phone = await open(PHONE, 'phone');
  const freqAddr = '/all_widgets/oscillator/freq';
  const phoneFreq = () => phone.page.inputValue(`[data-address="${freqAddr}"] .w-value`);
  check('the second page starts with the engine values', (await phone.page.inputValue(
    `[data-address="${gainAddr}"] .w-value`)) === '0.0 dB');
  // Type a value on the desktop page; see it on the phone (which logs every
  // value it is told for freq).
  await phone.page.evaluate((addr) => {
    window.seen = [];
    const app = window.tutti.app;
    const show = app.setValue.bind(app);
    app.setValue = (path, v) => {
      if (path === addr) window.seen.push(v);
      show(path, v);
    };
  }, freqAddr);
  const latencies = [];
  for (const v of [1000, 250, 2000, 700, 1500]) {
    await page.fill(`[data-address="${freqAddr}"] .w-value`, String(v));
    const t0 = Date.now();
    await page.press(`[data-address="${freqAddr}"] .w-value`, 'Enter');
    await phone.page.waitForFunction(([sel, text]) => document.querySelector(sel).value === text,
      [`[data-address="${freqAddr}"] .w-value`, `${v} Hz`], { timeout: 3000 }).catch(() => {});
    latencies.push(Date.now() - t0);
    await phone.page.waitForTimeout(150); // anything later must not change it
    const shown = await phoneFreq();
    check(`page 2 shows ${v} Hz set on page 1`, shown === `${v} Hz`, shown);
  }
  console.log(`page 1 -> page 2 (fill, Enter, seen; playwright round trips included): ${latencies.join(', ')} ms`);
  const seen = await phone.page.evaluate(() => window.seen);
  console.log(`values page 2 was told for freq, in order: ${seen.join(', ')}`);
  // And back: the phone taps the checkbox, the desktop sees it.
  await phone.page.tap('[data-address="/all_widgets/play/mute"] .w-check');
  const synced = await until(() => page.$eval('[data-address="/all_widgets/play/mute"] input', (e) => e.checked), 3000);
  check('page 1 shows the checkbox ticked on page 2', synced);
  await phone.page.tap('[data-address="/all_widgets/play/mute"] .w-check');
  await phone.page.waitForTimeout(200);
  await phone.page.screenshot({ path: join(out, 'live-phone.png'), fullPage: true });
  // The other tab, and a radio button there, on the phone; the engine follows.
  await phone.page.tap('.g-tab:has-text("voice")');
  await phone.page.tap('[data-address="/all_widgets/choices/voice/voice"] .w-radio:has-text("high")');
  const voice = await until(async () => {
    const v = Number((await get('/all_widgets/choices/voice/voice')).trim().split(/\s+/)[1]);
    return v === 2 ? v : null;
  }, 3000);
  check('a radio button tapped on the phone sets the engine (voice = 2)', voice === 2);
  const desktopVoice = await until(() => page.$eval(
    '[data-address="/all_widgets/choices/voice/voice"] input[value="2"]', (e) => e.checked), 3000);
  check('... and page 1 shows it (on its hidden tab)', desktopVoice);
  await phone.page.screenshot({ path: join(out, 'live-phone-voice-tab.png'), fullPage: false });

  // ---- a swap: save an edited program ----
  const gen = await page.getAttribute('#ui', 'data-generation');
  const edited = original
    .replace('secret = hslider("h:[0]oscillator/[4]secret [hidden:1]"',
      'extra = hslider("h:[0]oscillator/[5]extra [style:knob]", 0.25, 0, 1, 0.01);\n'
      + 'secret = hslider("h:[0]oscillator/[4]secret [hidden:1]"')
    .replace('* (0.5 + secret);', '* (0.5 + secret) * (1 - extra * 0.1);');
  check('the edit applies', edited !== original && edited.includes('extra'));
  writeFileSync(`${program}.new`, edited);
  renameSync(`${program}.new`, program);
  const redrawn = await until(() => page.$('[data-address="/all_widgets/oscillator/extra"]'), 15000);
  check('a swap redraws the UI with the new control', Boolean(redrawn));
  check('... on the second page too',
    Boolean(await until(() => phone.page.$('[data-address="/all_widgets/oscillator/extra"]'), 5000)));
  check('the UI was drawn again', (await page.getAttribute('#ui', 'data-generation')) !== gen);
  const report = await until(() => page.$eval('#swaps', (e) => {
    const t = e.querySelector('li.ok')?.textContent ?? '';
    return /swapped #\d+/.test(t) && t;
  }), 5000);
  check('the swap report is shown', Boolean(report), report);
  check('values carried over the swap (gain still 0 dB)',
    (await page.inputValue(`[data-address="${gainAddr}"] .w-value`)) === '0.0 dB');
  await page.screenshot({ path: join(out, 'live-desktop-swapped.png'), fullPage: true });

  // A broken save: the report says why, the UI stays.
  writeFileSync(`${program}.new`, edited.replace('process =', 'process = nonsense +'));
  renameSync(`${program}.new`, program);
  const failedSwap = await until(() => page.$eval('#swaps', (e) => {
    const li = e.querySelector('li.fail');
    return li && li.textContent.includes('compile failed') && li.querySelector('pre')?.textContent;
  }), 15000);
  check('a failed compile shows in the swap list, with its diagnostic', /error/.test(failedSwap ?? ''),
    failedSwap ?? await page.$eval('#swaps', (e) => e.textContent));
  check('the UI stays after a failed compile',
    Boolean(await page.$('[data-address="/all_widgets/oscillator/extra"]')));
  await page.screenshot({ path: join(out, 'live-desktop-failed-swap.png'), fullPage: false });
  check('no error in the pages', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('the test ran to its end', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  const r = await stop();
  check('tutti play stops on SIGTERM', r !== null && (r.code === 0 || r.signal === 'SIGTERM'), JSON.stringify(r));
  writeFileSync(join(out, 'tutti-play.log'), stdout + stderr);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${failed() ? 'FAILED' : 'passed'}: screenshots in ${out}`);
process.exit(failed() ? 1 : 0);
