// The page's side of the WebSocket (/ws, docs/control-protocol.md): JSON text
// frames, Faust's web UI vocabulary plus tutti's outputs.
//   server -> page: {"type":"ui","ui":[...]}          the program's UI (on connect, after a swap)
//                   {"type":"values","values":{A:v}}   every value (on connect)
//                   {"type":"param","path":A,"value":v} one change (controls and bargraphs)
//                   {"type":"swap","report":{...}}      a hot swap happened (or failed)
//                   {"type":"levels","peak":[..],"rms":[..]} per output channel, linear
//                   {"type":"scope","rate":R,"channels":[[..],..]} output frames
//                   {"type":"error","error":TEXT}       a message of ours refused
//   page -> server: {"type":"param","path":A,"value":v}
// The Session owns the socket (made by a factory, so tests give a fake one),
// reconnects when it drops, throttles what the page sends, and hands every
// message to a view. No DOM here (web/test/session.test.js).

/** The WebSocket URL for a page at `loc` (window.location): same host, path
 * /ws, and the page's ?token= passed on (needed off loopback). */
export function socketUrl(loc) {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(loc.search).get('token');
  return `${proto}//${loc.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** A same-origin URL of the server with the page's token passed on. */
export function withToken(path, loc) {
  const token = new URLSearchParams(loc.search).get('token');
  if (!token) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

const OPEN = 1;

/** What a view implements (all optional). */
export const VIEW_METHODS = ['setUi', 'setValue', 'showSwap', 'setLevels', 'addScope', 'setStatus', 'showError'];

export class Session {
  /**
   * @param {object} o
   * @param {(url: string) => object} o.connect  makes a WebSocket-like object
   * @param {object} o.view       receives the messages (VIEW_METHODS)
   * @param {string} o.url        the WebSocket URL
   * @param {object} [o.timers]   { setTimeout, clearTimeout, now } (tests)
   * @param {number} [o.minInterval] ms between two sends of one address
   */
  constructor({ connect, view, url, timers, minInterval = 12 }) {
    this.connect = connect;
    this.view = view;
    this.url = url;
    this.timers = timers ?? {
      setTimeout: (f, ms) => setTimeout(f, ms),
      clearTimeout: (t) => clearTimeout(t),
      now: () => Date.now(),
    };
    this.minInterval = minInterval;
    this.socket = null;
    this.values = new Map(); // address -> last known value
    this.ui = null;
    this.retryMs = 250;
    this.retryTimer = null;
    this.lastSent = new Map(); // address -> time
    this.pending = new Map(); // address -> value waiting for its slot
    this.flushTimer = null;
    this.stopped = false;
    this.stats = { received: 0, ignored: 0, sent: 0 };
  }

  call(method, ...args) {
    const f = this.view?.[method];
    if (typeof f === 'function') f.apply(this.view, args);
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket) {
      const s = this.socket;
      this.socket = null;
      s.onclose = null;
      s.close();
    }
  }

  open() {
    this.call('setStatus', 'connecting');
    let s;
    try {
      s = this.connect(this.url);
    } catch (e) {
      this.call('setStatus', 'closed', String(e?.message ?? e));
      this.retry();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      this.retryMs = 250;
      this.call('setStatus', 'open');
    };
    s.onmessage = (ev) => this.handle(ev.data);
    s.onerror = () => {}; // onclose follows
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.call('setStatus', 'closed');
      this.retry();
    };
  }

  retry() {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }

  /** One text frame from the server. Returns the message's type, or null
   * when it was not understood (and ignored). */
  handle(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      this.stats.ignored++;
      return null;
    }
    if (!m || typeof m !== 'object') {
      this.stats.ignored++;
      return null;
    }
    this.stats.received++;
    switch (m.type) {
      case 'ui':
        if (!Array.isArray(m.ui)) break;
        this.ui = m.ui;
        this.call('setUi', m.ui, this.values);
        return 'ui';
      case 'values':
        if (!m.values || typeof m.values !== 'object') break;
        for (const [path, v] of Object.entries(m.values)) {
          if (typeof v === 'number') {
            this.values.set(path, v);
            this.call('setValue', path, v);
          }
        }
        return 'values';
      case 'param':
        if (typeof m.path !== 'string' || typeof m.value !== 'number') break;
        this.values.set(m.path, m.value);
        this.call('setValue', m.path, m.value);
        return 'param';
      case 'swap':
        if (!m.report || typeof m.report !== 'object') break;
        this.call('showSwap', m.report);
        return 'swap';
      case 'levels':
        if (!Array.isArray(m.peak)) break;
        this.call('setLevels', m.peak, Array.isArray(m.rms) ? m.rms : m.peak);
        return 'levels';
      case 'scope':
        if (!Array.isArray(m.channels) || !(m.rate > 0)) break;
        this.call('addScope', m.rate, m.channels);
        return 'scope';
      case 'error':
        this.call('showError', typeof m.error === 'string' ? m.error : JSON.stringify(m.error ?? m));
        return 'error';
      default:
        break;
    }
    this.stats.received--;
    this.stats.ignored++;
    return null;
  }

  /** The user moved a control: tell the server, at most one message per
   * address every minInterval ms (the last value always goes out). */
  send(path, value) {
    this.values.set(path, value);
    const now = this.timers.now();
    const last = this.lastSent.get(path);
    if (last === undefined || now - last >= this.minInterval) {
      this.pending.delete(path);
      this.transmit(path, value, now);
      return;
    }
    this.pending.set(path, value);
    if (this.flushTimer === null) {
      this.flushTimer = this.timers.setTimeout(() => this.flush(), this.minInterval - (now - last));
    }
  }

  flush() {
    this.flushTimer = null;
    const now = this.timers.now();
    for (const [path, value] of this.pending) this.transmit(path, value, now);
    this.pending.clear();
  }

  transmit(path, value, now) {
    this.lastSent.set(path, now);
    const s = this.socket;
    if (!s || s.readyState !== OPEN) return false;
    s.send(JSON.stringify({ type: 'param', path, value }));
    this.stats.sent++;
    return true;
  }
}
