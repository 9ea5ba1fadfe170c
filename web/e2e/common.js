// Shared by the browser tests: launching Debian's Chromium through
// playwright-core (no browser download), with the flags of infra.md section 4.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.TUTTI_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = { viewport: { width: 1280, height: 900 } };
export const PHONE = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
};

/** Every widget kind the page draws, and the data-widget value it carries. */
export const WIDGET_KINDS = ['hslider', 'vslider', 'knob', 'nentry', 'button', 'checkbox', 'menu',
  'radio', 'led', 'vbargraph', 'hbargraph'];

let failures = 0;
/** A named assertion: prints ok/FAIL with the detail, counts failures. */
export function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
  return ok;
}
export function failed() {
  return failures;
}

/** Polls fn() until it returns a truthy value or timeoutMs passes. */
export async function until(fn, timeoutMs = 5000, everyMs = 25) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
