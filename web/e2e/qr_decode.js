// The QR codes tutti prints (terminal) and serves (SVG) decode back to the URL.
// usage: node e2e/qr_decode.js TUTTI_QR_PRINT OUTDIR
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, check, failed } from './common.js';
import { decodeTerminal, decodeSvg } from './qr.js';

const [qrPrint, out = 'qr-artifacts'] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const urls = [
  'http://127.0.0.1:5510/',
  'http://192.168.1.23:5510/?token=4f9c2a7e1b8d6035c1e2f3a4b5c6d7e8',
  'http://[fe80::1]:23456/?token=a+b%20c&x=~',
];
const browser = await launch();
try {
  for (const [i, url] of urls.entries()) {
    const text = execFileSync(qrPrint, [url], { encoding: 'utf8' });
    const t = decodeTerminal(text, join(out, `terminal-${i}.pbm`));
    check(`terminal QR ${i} decodes to ${url}`, t.length === 1 && t[0] === url, JSON.stringify(t));
    const svg = execFileSync(qrPrint, [url, '--svg'], { encoding: 'utf8' });
    const s = await decodeSvg(browser, svg, join(out, `svg-${i}.png`));
    check(`SVG QR ${i} decodes to ${url}`, s.length === 1 && s[0] === url, JSON.stringify(s));
  }
} finally {
  await browser.close();
}
console.log(`${failed() ? 'FAILED' : 'passed'}: images in ${out}`);
process.exit(failed() ? 1 : 0);
