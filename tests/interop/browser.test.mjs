// A real browser (Debian's chromium, headless, driven by playwright-core) opens the live page of a
// running sse-serve; lines fed to its stdin must all appear on the page, in order. A screenshot
// goes to the build folder for a person to look at. Then the page under a burst (it renders in
// batches and keeps up), a reset's count, the filter, pause, and a tab with no animation frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { EventSource } from 'eventsource';
import { launchChromium, startProxy, startServe, waitFor } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

test('browser: every stdin line shows on the live page, in order, as text', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh`);
  const serve = await startServe([]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });  // playwright gives the browser a fresh, empty profile of its own
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(serve.url);
    // The page is connected once the server has a client for it: its first line then arrives live.
    const lines = [];
    for (let i = 1; i <= 40; ++i) lines.push(`line ${String(i).padStart(2, '0')}: GET /api/items?page=${i} 200 ${i * 7} ms`);
    lines.push('<b>markup stays text</b> & so do "quotes"');
    lines.push('ünïcödé ✓ 日本語');
    await waitFor(async () => (await page.evaluate(() => document.readyState)) === 'complete', 'the page to load');
    // Feed one line until it shows, so that the rest cannot race the page's connection.
    await serve.write('hello from stdin\n');
    await waitFor(async () => (await page.evaluate(() => document.body.innerText)).includes('hello from stdin'),
      'the first line on the page');
    await serve.write(lines.join('\n') + '\n');
    await waitFor(async () => (await page.evaluate(() => document.body.innerText)).includes(lines[lines.length - 1]),
      'the last line on the page');

    const text = await page.evaluate(() => document.body.innerText);
    let at = text.indexOf('hello from stdin');
    for (const line of lines) {
      const next = text.indexOf(line, at);
      assert.ok(next > at, `"${line}" missing or out of order on the page`);
      at = next;
    }
    // A log line is untrusted: it must be shown as text, never parsed as HTML (the literal tags
    // were found in innerText above; parsed markup would have lost them).
    assert.ok(text.includes('<b>markup stays text</b> & so do "quotes"'));
    assert.deepEqual(errors, []);
    const artifacts = process.env.SSE_ARTIFACTS ?? os.tmpdir();
    await page.screenshot({ path: path.join(artifacts, 'sse-serve-page.png') });
  } finally {
    await browser.close();
    await serve.stop();
  }
});

const viewport = { width: 1100, height: 700 };

// Opens the page of `url` in a fresh browser and waits until its stream is connected; the page's
// errors are collected in `errors`.
async function openPage(url, { before } = {}) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (before) await page.addInitScript(before);
  await page.goto(url);
  await waitFor(async () => page.evaluate(() => !!document.querySelector('#state.connected')),
    'the page to connect');
  return { browser, page, errors };
}

// What the page shows, read in the page: every row's line (without its time or tags), whether it
// is the page's own row (a reset, lines skipped) and whether the filter hides it; the footer.
function readPage() {
  const rows = [...document.querySelectorAll('#log .row')].map((row) => ({
    line: [...row.childNodes].filter((n) => !(n.nodeType === 1 && n.classList.contains('tag')))
      .map((n) => n.textContent).join(''),
    tags: [...row.querySelectorAll('.tag')].map((t) => t.textContent),
    system: !!row.querySelector('.sys'),
    hidden: row.classList.contains('hidden'),
    marked: [...row.querySelectorAll('mark')].map((m) => m.textContent),
  }));
  const scroller = document.getElementById('scroller');
  return {
    rows,
    footer: document.getElementById('shown').textContent,
    notice: document.getElementById('notice').textContent,
    received: window.__sse_received,
    queued: window.__sse_queued,
    skipped: window.__sse_skipped,
    following: document.getElementById('follow').textContent,
    scrollTop: scroller.scrollTop,
    atBottom: scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 4,
  };
}
const lastLine = async (page) => page.evaluate(() => {
  const rows = document.querySelectorAll('#log .row');
  const row = rows[rows.length - 1];
  return row ? row.lastChild.textContent : '';
});

test('browser: a burst of 50,000 lines ends with the last line on screen, within the cap', async () => {
  // The buffer is large enough that the server never drops the page: what is tested is the page.
  const serve = await startServe(['--client-buffer', '64M']);
  const { browser, page, errors } = await openPage(serve.url);
  try {
    const lines = [];
    for (let i = 1; i <= 50000; ++i) lines.push(`burst line ${i}`);
    await serve.write(lines.join('\n') + '\n');
    await waitFor(async () => (await lastLine(page)) === 'burst line 50000', 'the last line of the burst', 60000);
    let seen = await page.evaluate(readPage);
    assert.equal(seen.received, 50000);
    assert.equal(seen.queued, 0);
    // Rows are added in batches, one per animation frame, not one update per event.
    const frames = await page.evaluate(() => window.__sse_frames);
    assert.ok(frames * 10 <= seen.received, `${frames} frames for ${seen.received} events`);
    assert.equal(seen.notice, '', 'the page was not dropped (no reset)');
    // The default cap keeps 5,000 rows; the newest are the last lines sent, in order.
    assert.equal(seen.rows.length, 5000);
    const data = seen.rows.filter((r) => !r.system).map((r) => r.line);
    assert.deepEqual(data.slice(-200), lines.slice(-200));
    assert.ok(seen.atBottom, 'following keeps the newest line in view');
    // A smaller cap trims the oldest rows at once.
    await page.selectOption('#cap', '1000');
    await waitFor(async () => (await page.evaluate(readPage)).rows.length === 1000, 'the rows trimmed to 1,000');
    seen = await page.evaluate(readPage);
    assert.equal(seen.rows[seen.rows.length - 1].line, 'burst line 50000');
    assert.match(seen.footer, /^1,000 lines kept/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: after a reset the page shows how many events it missed', async () => {
  // No history: whatever is sent while the page is away is lost, and the reset says how much.
  const serve = await startServe(['--history', '0', '--retry', '200']);
  const proxy = await startProxy(serve.port);
  const { browser, page, errors } = await openPage(`http://127.0.0.1:${proxy.port}/`);
  const observer = new EventSource(`${serve.url}events`);
  const observed = [];
  let observing = false;
  observer.onopen = () => { observing = true; };
  observer.onmessage = (e) => observed.push(e.data);
  try {
    // A new client gets live events only: the observer must be connected before anything is sent.
    await waitFor(() => observing, 'the observer to connect');
    await serve.write('before the cut\n');
    await waitFor(async () => (await lastLine(page)) === 'before the cut', 'the first line on the page');
    await waitFor(() => observed.length === 1, 'the observer to see the first line');
    // Cut the page's connection and hold its reconnect while 50 events go out.
    proxy.hold();
    proxy.cut();
    await waitFor(() => proxy.waitingCount() > 0, 'the page to try to reconnect');
    const missed = [];
    for (let i = 1; i <= 50; ++i) missed.push(`missed ${i}`);
    await serve.write(missed.join('\n') + '\n');
    await waitFor(() => observed.length === 51, 'the 50 events to go out');
    proxy.release();
    await waitFor(async () => (await page.evaluate(readPage)).notice.includes('Missed 50 events'),
      'the reset notice');
    await serve.write('after the reset\n');
    await waitFor(async () => (await lastLine(page)) === 'after the reset', 'a line after the reset');
    const seen = await page.evaluate(readPage);
    const reset = seen.rows.find((r) => r.system);
    assert.ok(reset, 'the reset has a row of its own');
    assert.deepEqual(reset.tags, ['sse-reset']);
    assert.match(reset.line, /^Missed 50 events while disconnected/);
    assert.deepEqual(seen.rows.filter((r) => !r.system).map((r) => r.line), ['before the cut', 'after the reset']);
    assert.deepEqual(errors, []);
  } finally {
    observer.close();
    await browser.close();
    await proxy.close();
    await serve.stop();
  }
});

test('browser: the filter hides and marks lines, new ones too; pause holds the view', async () => {
  const serve = await startServe([]);
  const { browser, page, errors } = await openPage(serve.url);
  const visible = (seen) => seen.rows.filter((r) => !r.hidden);
  try {
    const lines = [];
    for (let i = 1; i <= 300; ++i) lines.push(i % 3 === 0 ? `alpha ${i}` : `beta ${i}`);
    await serve.write(lines.join('\n') + '\n');
    await waitFor(async () => (await lastLine(page)) === 'alpha 300', 'the 300 lines');

    await page.fill('#filter', 'ALPHA');  // matching ignores case
    await waitFor(async () => visible(await page.evaluate(readPage)).length === 100, 'the filter to apply');
    let seen = await page.evaluate(readPage);
    assert.equal(seen.footer, '100 of 300 lines match');
    for (const row of visible(seen)) assert.deepEqual(row.marked, ['alpha']);
    await serve.write('alpha new\nbeta new\n');
    await waitFor(async () => (await page.evaluate(readPage)).rows.length === 302, 'two more lines');
    seen = await page.evaluate(readPage);
    assert.deepEqual(seen.rows.slice(-2).map((r) => [r.line, r.hidden]), [['alpha new', false], ['beta new', true]]);
    assert.equal(seen.footer, '101 of 302 lines match');
    await page.fill('#filter', '');
    await waitFor(async () => visible(await page.evaluate(readPage)).length === 302, 'the filter to clear');
    seen = await page.evaluate(readPage);
    assert.ok(seen.rows.every((r) => r.marked.length === 0));
    assert.equal(seen.footer, '302 lines kept');

    // Paused, the view stays where the reader left it while lines arrive.
    await page.click('#follow');
    await page.evaluate(() => { document.getElementById('scroller').scrollTop = 0; });
    const more = [];
    for (let i = 1; i <= 200; ++i) more.push(`more ${i}`);
    await serve.write(more.join('\n') + '\n');
    await waitFor(async () => (await lastLine(page)) === 'more 200', 'the lines sent while paused');
    seen = await page.evaluate(readPage);
    assert.equal(seen.following, 'Paused');
    assert.equal(seen.scrollTop, 0);
    assert.equal(seen.rows.length, 502);
    // Following again goes to the newest line.
    await page.click('#follow');
    await waitFor(async () => (await page.evaluate(readPage)).atBottom, 'the view at the newest line');
    assert.equal((await page.evaluate(readPage)).following, 'Following');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: with no animation frames (a hidden tab) the queue stays bounded; shown again, the page skips to the newest lines and says how many', async () => {
  const serve = await startServe(['--client-buffer', '64M']);
  // A hidden tab gets no animation frames: hold them until __show().
  const { browser, page, errors } = await openPage(serve.url, {
    before: () => {
      const real = window.requestAnimationFrame.bind(window);
      const held = [];
      let hidden = true;
      window.requestAnimationFrame = (callback) => (hidden ? (held.push(callback), 0) : real(callback));
      window.__show = () => {
        hidden = false;
        for (const callback of held.splice(0)) real(callback);
      };
    },
  });
  try {
    await page.selectOption('#cap', '1000');
    const lines = [];
    for (let i = 1; i <= 20000; ++i) lines.push(`hidden ${i}`);
    await serve.write(lines.join('\n') + '\n');
    await waitFor(async () => (await page.evaluate(readPage)).received === 20000, 'the 20,000 events');
    let seen = await page.evaluate(readPage);
    assert.equal(seen.rows.length, 0, 'nothing is drawn without frames');
    // No more than the cap and one frame's worth of rows wait.
    assert.ok(seen.queued >= 1000 && seen.queued <= 5000, `${seen.queued} events queued`);
    await page.evaluate(() => window.__show());
    await waitFor(async () => (await lastLine(page)) === 'hidden 20000', 'the newest line once shown');
    seen = await page.evaluate(readPage);
    assert.equal(seen.rows.length, 1000);
    assert.equal(seen.skipped, 19001);
    assert.deepEqual(seen.rows[0].tags, ['skipped']);
    assert.equal(seen.rows[0].line, '… 19,001 lines skipped while catching up');
    assert.deepEqual(seen.rows.slice(1).map((r) => r.line), lines.slice(-999));
    assert.equal(seen.footer, '1,000 lines kept · 19,001 skipped while catching up');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
  }
});
