// The npm `eventsource` package (a WHATWG-compliant EventSource for Node) against sse-serve:
// ids, event types and retry as a real client sees them, and its own reconnect with
// Last-Event-ID after the connection is cut receives every missed event exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { startServe, startProxy, waitFor } from './harness.mjs';

const json = (o) => JSON.stringify(o) + '\n';

test('eventsource: types, ids, retry, and resume after a cut connection', async () => {
  const serve = await startServe(['--format', 'json', '--retry', '300', '--history', '100']);
  const proxy = await startProxy(serve.port);
  const received = [];
  const opens = [];
  const es = new EventSource(`http://127.0.0.1:${proxy.port}/events`);
  const record = (e) => received.push({ type: e.type, data: e.data, id: e.lastEventId });
  es.addEventListener('message', record);
  es.addEventListener('greeting', record);
  es.onopen = () => opens.push(Date.now());
  try {
    await waitFor(() => opens.length === 1, 'the first open');
    await serve.write(json({ data: 'one' }) + json({ event: 'greeting', data: 'two\nlines' }) +
                      json({ data: 'three', id: 'custom-3' }) + json({ data: 'four' }));
    await waitFor(() => received.length === 4, 'four events');
    assert.deepEqual(received.map((e) => e.type), ['message', 'greeting', 'message', 'message']);
    assert.deepEqual(received.map((e) => e.data), ['one', 'two\nlines', 'three', 'four']);
    assert.equal(received[0].id, '1');
    assert.equal(received[1].id, '2');
    assert.equal(received[2].id, 'custom-3');
    assert.notEqual(received[3].id, '');
    assert.match(proxy.requests[0].sent, /^GET \/events HTTP\/1\.1\r\n/);

    // Cut the connection and keep the client from reconnecting until events were published
    // while it was away; a direct observer confirms the server has emitted them.
    proxy.hold();
    const cutAt = Date.now();
    proxy.cut();
    const lastSeen = received[3].id;
    const observer = new EventSource(`http://127.0.0.1:${serve.port}/events`);
    const observed = [];
    observer.addEventListener('message', (e) => observed.push(e.data));
    await waitFor(() => observer.readyState === EventSource.OPEN, 'the observer to open');
    for (let i = 5; i <= 9; ++i) await serve.write(json({ data: `missed-${i}` }));
    await waitFor(() => observed.length === 5, 'the observer to see the missed events');
    observer.close();
    await waitFor(() => proxy.waitingCount() > 0, 'the client to reconnect');
    // retry: 300 was on the wire; the client must have waited at least that long.
    const reconnectedAt = proxy.arrivals[proxy.arrivals.length - 1];
    assert.ok(reconnectedAt - cutAt >= 300, `reconnected after ${reconnectedAt - cutAt} ms`);
    proxy.release();
    await waitFor(() => opens.length === 2, 'the second open');
    await serve.write(json({ data: 'live-10' }));
    await waitFor(() => received.some((e) => e.data === 'live-10'), 'the live event after resuming');

    const reconnect = proxy.requests[proxy.requests.length - 1].sent;
    assert.match(reconnect, new RegExp(`\\r\\nlast-event-id: ${lastSeen}\\r\\n`, 'i'));
    assert.deepEqual(received.slice(4).map((e) => e.data),
      ['missed-5', 'missed-6', 'missed-7', 'missed-8', 'missed-9', 'live-10']);
    assert.ok(proxy.requests[0].sent.length > 0);
  } finally {
    es.close();
    await proxy.close();
    await serve.stop();
  }
});

test('eventsource: turned away while the server is full, it comes back once a slot frees', async () => {
  const serve = await startServe(['--max-clients', '1', '--retry', '200']);
  const first = new EventSource(`${serve.url}events`);
  let firstOpen = false;
  first.onopen = () => { firstOpen = true; };
  const second = new EventSource(`${serve.url}events`);
  const got = [];
  let errors = 0;
  second.addEventListener('message', (e) => got.push(e.data));
  second.onerror = () => { errors += 1; };
  let ticker;
  try {
    await waitFor(() => firstOpen, 'the first client to open');
    // A 503 would close an EventSource for good; a turn-away keeps it trying.
    await waitFor(() => errors >= 2, 'the second client to be turned away twice');
    assert.notEqual(second.readyState, EventSource.CLOSED);
    assert.equal(got.length, 0);
    first.close();
    let n = 0;
    ticker = setInterval(() => { serve.write(`tick-${++n}\n`); }, 100);
    await waitFor(() => got.length > 0, 'an event on the client that was turned away');
    assert.match(got[0], /^tick-\d+$/);
  } finally {
    clearInterval(ticker);
    first.close();
    second.close();
    await serve.stop();
  }
});
