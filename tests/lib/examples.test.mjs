// The examples of sse/beast.hpp (lib/examples) against real clients: sse-listen and headless
// Chromium against hello, the client example against hello and chat, fetch() streams against
// chat's broadcast. Every wait has a deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { CHROMIUM, launchChromium, waitFor } from '../interop/harness.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const HELLO = env('SSE_EXAMPLE_HELLO');
const CHAT = env('SSE_EXAMPLE_CHAT');
const CLIENT = env('SSE_EXAMPLE_CLIENT');
const SSE_LISTEN = env('SSE_LISTEN');

// Starts an example server on a free port; resolves once it prints its URL.
function startExample(binary) {
  const proc = spawn(binary, ['0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not start: ${stderr}`)), 15000);
    proc.on('exit', (code) => reject(new Error(`${binary} exited ${code}: ${stderr}`)));
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/[^\s]+\/)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1],
        port: Number(new URL(m[1]).port),
        stop: () => new Promise((ok) => {
          proc.removeAllListeners('exit');
          if (proc.exitCode !== null || proc.signalCode !== null) return ok();
          proc.on('exit', () => ok());
          proc.kill('SIGTERM');
        }),
      });
    });
  });
}

// Runs a program to its end (or kills it at the deadline); resolves with its status and output.
function run(binary, args, ms = 30000) {
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Opens a stream with fetch(); resolves once the response head is in (the server has the
// client by then) with a way to wait for text in the body.
async function openStream(url, headers = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let pending = null;
  const pump = () => {
    pending ??= reader.read().then(({ value, done }) => {
      if (!done) text += decoder.decode(value, { stream: true });
      pending = null;
    }, () => { pending = null; });
    return pending;
  };
  return {
    text: () => text,
    waitFor: async (needle, what) => {
      const deadline = Date.now() + 20000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(text)}`);
        await Promise.race([pump(), new Promise((r) => setTimeout(r, 50))]);
      }
    },
    close: () => controller.abort(),
  };
}

test('hello: sse-listen -n 3 gets foo 0, foo 1, foo 2', async () => {
  const hello = await startExample(HELLO);
  try {
    const r = await run(SSE_LISTEN, ['-n', '3', '--timeout', '20', `${hello.url}hello`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'foo 0\nfoo 1\nfoo 2\n');
  } finally {
    await hello.stop();
  }
});

test('hello: the client example reads the same stream', async () => {
  const hello = await startExample(HELLO);
  try {
    const r = await run(CLIENT, ['127.0.0.1', String(hello.port), '/hello', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'foo 0\nfoo 1\nfoo 2\n');
    const bad = await run(CLIENT, ['127.0.0.1', String(hello.port), '/nowhere']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^client: error: expected a 200 event stream, got 404/);
  } finally {
    await hello.stop();
  }
});

test('hello: headless Chromium shows foo 2 on /index', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh`);
  const hello = await startExample(HELLO);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${hello.url}index`);
    const shown = () => page.evaluate(() => document.getElementById('response').textContent);
    await waitFor(async () => (await shown()) === 'foo 2', 'foo 2 on the page');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await hello.stop();
  }
});

test('chat: POST /say reaches every client; Last-Event-ID resumes from the history', async () => {
  const chat = await startExample(CHAT);
  const say = async (text) => {
    const res = await fetch(`${chat.url}say`, { method: 'POST', body: text });
    assert.equal(res.status, 204);
  };
  const streams = [];
  try {
    for (const text of ['one', 'two', 'three']) await say(text);
    // Resuming after id 1 (?lastEventId=, as a page's first request carries it): 2 and 3 first.
    const resumed = await run(CLIENT, ['127.0.0.1', String(chat.port), '/events?lastEventId=1', '2']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, 'two\nthree\n');

    // Two live clients, one resuming with the header a reconnecting EventSource sends.
    streams.push(await openStream(`${chat.url}events`, { 'Last-Event-ID': '2' }));
    streams.push(await openStream(`${chat.url}events`));
    await streams[0].waitFor('id: 3\ndata: three\n\n', 'the missed message');
    await say('four');
    for (const s of streams) await s.waitFor('id: 4\ndata: four\n\n', 'the broadcast');
    assert.equal(streams[0].text().indexOf('data: two'), -1);
    assert.equal(streams[1].text().indexOf('data: three'), -1);  // a fresh client: live only
  } finally {
    for (const s of streams) s.close();
    await chat.stop();
  }
});
