// The browser's six-connection limit, and HTTP/2 as the answer: one page of Debian's chromium
// opens 12 EventSources to the same origin. Over HTTPS (ALPN h2) all 12 share one connection and
// all get the event; over HTTP/1.1 only six connect, the rest wait without an error, which this
// test records, so it shows that HTTP/2 is what lifts the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServe, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const MAKE_CERTS = path.resolve('../tools/sse-serve/tls/make_test_certs.sh');
const SOURCES = 12;

// Opens n EventSources to /events from the page; each records the events it gets.
async function openSources(page, n) {
  await page.evaluate((count) => {
    window.got = [];
    window.sources = [];
    for (let i = 0; i < count; ++i) {
      window.got.push([]);
      const es = new EventSource('/events');
      es.onmessage = (e) => window.got[i].push(e.data);
      window.sources.push(es);
    }
  }, n);
}

async function metric(url, name) {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function withBrowser(fn) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // The throwaway CA is not in Chromium's store: this context accepts the test certificate.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    return await fn(await context.newPage());
  } finally {
    await browser.close();
  }
}

test('chromium: 12 EventSources over HTTP/2 all get events', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-six-'));
  execFileSync('bash', [MAKE_CERTS, dir]);
  const serve = await startServe(['-v', '--metrics', '--tls-cert', path.join(dir, 'server.pem'),
    '--tls-key', path.join(dir, 'server.key')]);
  try {
    assert.match(serve.url, /^https:/);
    await withBrowser(async (page) => {
      // A same-origin document that opens no stream of its own.
      await page.goto(new URL('/healthz', serve.url).href);
      await openSources(page, SOURCES);
      // Node's fetch does not trust the test CA; the server's log counts the streams instead.
      await waitFor(() => serve.stderr().includes(`(${SOURCES} clients)`), `${SOURCES} streams`);
      await serve.write('to every tab\n');
      await waitFor(async () => (await page.evaluate(() => window.got.filter((g) => g.length > 0).length)) === SOURCES,
        'the event on all 12 EventSources');
      const got = await page.evaluate(() => window.got);
      for (const g of got) assert.deepEqual(g, ['to every tab']);
      // All over HTTP/2, on one connection: the streams' log lines name h2 and a stream id.
      const streams = serve.stderr().match(/\(h2 tls, stream \d+\) connected to \/events/g) ?? [];
      assert.equal(streams.length, SOURCES);
      const peers = new Set(serve.stderr().match(/client 127\.0\.0\.1:\d+ \(h2 tls, stream/g));
      assert.equal(peers.size, 1, 'one connection for all of them');
    });
  } finally {
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('chromium: over HTTP/1.1 the same page gets at most 6 streams', async () => {
  const serve = await startServe(['--metrics']);
  try {
    await withBrowser(async (page) => {
      await page.goto(new URL('/healthz', serve.url).href);
      await openSources(page, SOURCES);
      await waitFor(async () => (await metric(serve.url, 'sse_clients')) === 6, 'six streams');
      await serve.write('to the first six\n');
      await waitFor(async () => (await page.evaluate(() => window.got.filter((g) => g.length > 0).length)) === 6,
        'the event on six EventSources');
      // The limit, recorded: six streams open, the other six still connecting, and the server
      // has seen no more (a seventh would have shown in sse_clients and got the event too).
      const states = await page.evaluate(() => window.sources.map((s) => s.readyState));
      const open = states.filter((s) => s === 1).length;
      const waiting = states.filter((s) => s === 0).length;
      console.log(`HTTP/1.1: ${open} of ${SOURCES} EventSources open, ${waiting} waiting for a connection`);
      assert.equal(open, 6);
      assert.equal(waiting, SOURCES - 6);
      assert.equal(await metric(serve.url, 'sse_clients'), 6);
      assert.equal(await page.evaluate(() => window.got.filter((g) => g.length > 0).length), 6);
    });
  } finally {
    await serve.stop();
  }
});
