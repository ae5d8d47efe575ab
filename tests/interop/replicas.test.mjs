// The npm `eventsource` client and sse-serve replicas sharing one stream through Redis (a
// redis-server of the test's own): cut from one replica by a proxy and sent to another, the client
// reconnects with its Last-Event-ID and gets every event exactly once, those published while it
// was away included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { EventSource } from 'eventsource';
import { startServe, startProxy, waitFor } from './harness.mjs';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(() => new Promise((ok) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); ok(true); });
    c.on('error', () => ok(false));
  }), 'redis-server to accept connections');
  return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGKILL') };
}

test('eventsource: moved from one replica to another, every event exactly once', async () => {
  const redis = await startRedis();
  const a = await startServe(['--redis', redis.url, '--no-stdin', '--retry', '200', '-v']);
  const b = await startServe(['--redis', redis.url, '--no-stdin', '--retry', '200', '-v']);
  const publisher = await startServe(['--redis', redis.url, '-v']);
  const proxy = await startProxy(a.port);
  const received = [];
  let es;
  try {
    for (const s of [a, b, publisher]) await waitFor(() => s.stderr().includes('connected; stream key'), 'Redis');
    es = new EventSource(`http://127.0.0.1:${proxy.port}/events`);
    es.addEventListener('message', (e) => received.push({ data: e.data, id: e.lastEventId }));
    let opened = 0;
    es.onopen = () => { opened += 1; };
    await waitFor(() => opened === 1, 'the first open');
    for (let i = 1; i <= 20; ++i) await publisher.write(`e${i}\n`);
    await waitFor(() => received.length === 20, 'twenty events from replica A');
    proxy.hold();
    proxy.retarget(b.port);  // the load balancer sends the reconnect elsewhere
    proxy.cut();
    for (let i = 21; i <= 40; ++i) await publisher.write(`e${i}\n`);
    await waitFor(() => proxy.waitingCount() > 0, 'the client to reconnect');
    proxy.release();
    await waitFor(() => opened === 2, 'the second open, on replica B');
    for (let i = 41; i <= 50; ++i) await publisher.write(`e${i}\n`);
    await waitFor(() => received.length >= 50, 'every event');
    assert.deepEqual(received.map((e) => e.data), Array.from({ length: 50 }, (_, i) => `e${i + 1}`));
    assert.equal(new Set(received.map((e) => e.id)).size, 50);
    assert.match(b.stderr(), /resuming/);
  } finally {
    es?.close();
    await proxy.close();
    for (const s of [a, b, publisher]) await s.stop();
    redis.stop();
  }
});
