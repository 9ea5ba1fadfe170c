// The WebSocket session against a fake socket and a recording view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, socketUrl, withToken } from '../public/js/session.js';

class FakeSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closed = false;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
}

class FakeTimers {
  constructor() {
    this.t = 0;
    this.queue = [];
  }
  now() {
    return this.t;
  }
  setTimeout(f, ms) {
    const id = { f, at: this.t + ms };
    this.queue.push(id);
    return id;
  }
  clearTimeout(id) {
    this.queue = this.queue.filter((x) => x !== id);
  }
  advance(ms) {
    this.t += ms;
    for (;;) {
      const due = this.queue.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.queue = this.queue.filter((x) => x !== due);
      due.f();
    }
  }
}

function setup() {
  const sockets = [];
  const calls = [];
  const view = {};
  for (const m of ['setUi', 'setValue', 'showSwap', 'setLevels', 'addScope', 'setStatus', 'showError']) {
    view[m] = (...args) => calls.push([m, ...args]);
  }
  const timers = new FakeTimers();
  const session = new Session({
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    view,
    url: 'ws://127.0.0.1:5510/ws',
    timers,
    minInterval: 10,
  });
  return { session, sockets, calls, timers };
}

test('socket URL: same host, /ws, the token passed on', () => {
  assert.equal(socketUrl({ protocol: 'http:', host: '127.0.0.1:5510', search: '' }), 'ws://127.0.0.1:5510/ws');
  assert.equal(
    socketUrl({ protocol: 'https:', host: 'h:1', search: '?token=a b&x=1' }),
    'wss://h:1/ws?token=a%20b',
  );
  assert.equal(withToken('qr.svg', { search: '?token=t1' }), 'qr.svg?token=t1');
  assert.equal(withToken('/JSON?x=1', { search: '?token=t1' }), '/JSON?x=1&token=t1');
  assert.equal(withToken('qr.svg', { search: '' }), 'qr.svg');
});

test('messages reach the view', () => {
  const { session, sockets, calls } = setup();
  session.start();
  const s = sockets[0];
  s.open();
  const ui = [{ type: 'vgroup', label: 'p', items: [] }];
  assert.equal(session.handle(JSON.stringify({ type: 'ui', ui })), 'ui');
  s.receive({ type: 'values', values: { '/p/a': 0.5, '/p/b': 2, '/p/bad': 'x' } });
  s.receive({ type: 'param', path: '/p/a', value: 0.75 });
  s.receive({ type: 'swap', report: { generation: 2, compile_ms: 12.5 } });
  s.receive({ type: 'levels', peak: [0.5, 0.25], rms: [0.3, 0.1] });
  s.receive({ type: 'scope', rate: 12000, channels: [[0, 1], [1, 0]] });
  assert.deepEqual(calls.map((c) => c[0]), [
    'setStatus', 'setStatus', 'setUi', 'setValue', 'setValue', 'setValue', 'showSwap', 'setLevels', 'addScope',
  ]);
  assert.deepEqual(calls[1], ['setStatus', 'open']);
  assert.deepEqual(calls[2][1], ui);
  assert.deepEqual(calls.filter((c) => c[0] === 'setValue').map((c) => c.slice(1)), [
    ['/p/a', 0.5], ['/p/b', 2], ['/p/a', 0.75],
  ]);
  assert.equal(session.values.get('/p/a'), 0.75);
  assert.deepEqual(calls.at(-2), ['setLevels', [0.5, 0.25], [0.3, 0.1]]);
  assert.deepEqual(calls.at(-1), ['addScope', 12000, [[0, 1], [1, 0]]]);
});

test('a refusal from the server is shown', () => {
  const { session, calls } = setup();
  assert.equal(session.handle('{"type":"error","error":"this connection may not set values (the token is missing)"}'), 'error');
  assert.deepEqual(calls, [['showError', 'this connection may not set values (the token is missing)']]);
});

test('after a swap the new UI gets the values already known', () => {
  const { session, sockets, calls } = setup();
  session.start();
  sockets[0].open();
  sockets[0].receive({ type: 'values', values: { '/p/a': 0.5 } });
  sockets[0].receive({ type: 'ui', ui: [] });
  const setUi = calls.find((c) => c[0] === 'setUi');
  assert.equal(setUi[2].get('/p/a'), 0.5);
});

test('malformed and unknown messages are ignored', () => {
  const { session, calls } = setup();
  for (const bad of ['{', 'null', '42', '{"type":"param","path":3,"value":1}', '{"type":"param","path":"/a"}',
    '{"type":"ui","ui":{}}', '{"type":"nope"}', '{"type":"scope","rate":0,"channels":[]}',
    '{"type":"levels","peak":1}', '{"type":"values","values":null}']) {
    assert.equal(session.handle(bad), null, bad);
  }
  assert.equal(calls.length, 0);
  assert.equal(session.stats.ignored, 10);
  assert.equal(session.stats.received, 0);
});

test('sending: one message per address per interval, the last value always goes out', () => {
  const { session, sockets, timers } = setup();
  session.start();
  const s = sockets[0];
  s.open();
  session.send('/p/a', 0.1); // t = 0: out at once
  timers.advance(3);
  session.send('/p/a', 0.2); // within 10 ms: held
  session.send('/p/a', 0.3); // replaces 0.2
  session.send('/p/b', 1); // another address: out at once
  assert.deepEqual(s.sent, [
    { type: 'param', path: '/p/a', value: 0.1 },
    { type: 'param', path: '/p/b', value: 1 },
  ]);
  timers.advance(7);
  assert.deepEqual(s.sent.at(-1), { type: 'param', path: '/p/a', value: 0.3 });
  assert.equal(s.sent.length, 3);
  timers.advance(100);
  session.send('/p/a', 0.4);
  assert.equal(s.sent.length, 4);
});

test('nothing is sent while disconnected', () => {
  const { session, sockets } = setup();
  session.start();
  session.send('/p/a', 1); // still connecting
  assert.equal(sockets[0].sent.length, 0);
});

test('reconnects with a growing delay, and stop() ends it', () => {
  const { session, sockets, calls, timers } = setup();
  session.start();
  sockets[0].open();
  sockets[0].drop();
  assert.deepEqual(calls.at(-1), ['setStatus', 'closed']);
  assert.equal(sockets.length, 1);
  timers.advance(250);
  assert.equal(sockets.length, 2);
  sockets[1].drop();
  timers.advance(250);
  assert.equal(sockets.length, 2); // now 500 ms
  timers.advance(250);
  assert.equal(sockets.length, 3);
  sockets[2].open(); // resets the delay
  sockets[2].drop();
  timers.advance(250);
  assert.equal(sockets.length, 4);
  session.stop();
  assert.equal(sockets[3].closed, true);
  timers.advance(10000);
  assert.equal(sockets.length, 4);
});
