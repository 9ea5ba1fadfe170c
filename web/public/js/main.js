// Starts the page: the view (app.js) and its WebSocket session (session.js).

import { App } from './app.js';
import { Session, socketUrl, withToken } from './session.js';

const $ = (id) => document.getElementById(id);

const app = new App(document, {
  ui: $('ui'),
  title: $('title'),
  status: $('status'),
  meters: $('meters'),
  scope: $('scope'),
  spectrum: $('spectrum'),
  swaps: $('swaps'),
  lastSwap: $('last-swap'),
});

const session = new Session({
  connect: (url) => new WebSocket(url),
  view: app,
  url: socketUrl(location),
});
app.attach(session);

// The QR code of this page's URL (the server draws it: GET /qr.svg), shown
// at once on a wide screen, behind a button on a phone (which has the page).
const qrPanel = $('qr-panel');
const qrButton = $('qr-toggle');
const showQr = (on) => {
  qrPanel.hidden = !on;
  qrButton.setAttribute('aria-expanded', on ? 'true' : 'false');
  if (on && !$('qr').getAttribute('src')) $('qr').src = withToken('qr.svg', location);
};
qrButton.addEventListener('click', () => showQr(qrPanel.hidden));
$('page-url').textContent = location.href;
showQr(window.matchMedia('(min-width: 900px)').matches);

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => app.resized(), 150);
});

// For the browser test and the curious: the live objects.
window.tutti = { app, session };
session.start();
