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
import { launchChromium, metric, startProxy, startServe, waitFor, writeTokenFile } from './harness.mjs';

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
    const lines = [];
    for (let i = 1; i <= 40; ++i) lines.push(`line ${String(i).padStart(2, '0')}: GET /api/items?page=${i} 200 ${i * 7} ms`);
    lines.push('<b>markup stays text</b> & so do "quotes"');
    lines.push('ünïcödé ✓ 日本語');
    // A new client gets live events only: write once the page's stream is open (the page opens it
    // asynchronously, once it knows that no other tab of it holds one).
    await waitFor(async () => page.evaluate(() => !!document.querySelector('#state.connected')),
      'the page to connect');
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
  // A context of its own (not browser.newPage()'s), so that a test can open a second tab in it.
  const page = await (await browser.newContext({ viewport })).newPage();
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
    topic: row.querySelector('.tag.topic')?.textContent ?? '',
    system: !!row.querySelector('.sys'),
    hidden: row.classList.contains('hidden'),
    marked: [...row.querySelectorAll('mark')].map((m) => m.textContent),
  }));
  const scroller = document.getElementById('scroller');
  return {
    rows,
    footer: document.getElementById('shown').textContent,
    notice: document.getElementById('notice').textContent,
    state: document.getElementById('state').textContent,
    role: document.getElementById('role').textContent,
    topics: document.getElementById('topics').textContent,
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
// A new tab of context at url, once its page says it is connected.
async function openConnected(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await waitFor(async () => (await page.evaluate(readPage)).state === 'connected', 'the tab to connect');
  return page;
}

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
  // A second tab of the page gets the stream through the first, the reset too.
  const follower = await page.context().newPage();
  await follower.goto(`http://127.0.0.1:${proxy.port}/`);
  await waitFor(async () => (await follower.evaluate(readPage)).state === 'connected', 'the second tab');
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
    await waitFor(async () => (await lastLine(follower)) === 'after the reset', 'the second tab to catch up');
    const relayed = await follower.evaluate(readPage);
    assert.equal(relayed.role, 'via another tab');
    assert.equal(relayed.notice, seen.notice);
    assert.deepEqual(relayed.rows.map((r) => [r.tags, r.line]), seen.rows.map((r) => [r.tags, r.line]));
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

// Lines of the page that came from the stream (not its own rows), in order.
const dataLines = (seen) => seen.rows.filter((r) => !r.system).map((r) => r.line);

test('browser: the page at /?topic=a&token=T follows topic a with its token, in every tab; without the token it is not allowed', async () => {
  const token = 'tok-3f9a-secret';
  const tokenFile = writeTokenFile([token]);
  const serve = await startServe(['--format', 'json', '--token-file', tokenFile, '-v']);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  const open = async (query) => {
    const page = await context.newPage();
    await page.goto(`${serve.url}${query}`);
    return page;
  };
  const connected = (page) => waitFor(async () => (await page.evaluate(readPage)).state === 'connected',
    'the page to connect');
  try {
    // Two tabs of the same page: one holds the stream, the other shows it through the first.
    const first = await open(`?topic=a&token=${token}`);
    await connected(first);
    const second = await open(`?topic=a&token=${token}`);
    await connected(second);
    assert.deepEqual([(await first.evaluate(readPage)).role, (await second.evaluate(readPage)).role],
      ['live', 'via another tab']);

    const sent = [];
    for (let i = 1; i <= 30; ++i) {
      const topic = ['a', 'b', ''][i % 3];
      const event = { data: `line ${i}`, ...(topic && { topic }), ...(i % 5 === 0 && { event: 'deploy' }) };
      sent.push({ ...event, topic });
    }
    await serve.write(sent.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const wanted = sent.filter((e) => e.topic === 'a');
    const last = wanted[wanted.length - 1].data;
    for (const page of [first, second]) {
      await waitFor(async () => (await lastLine(page)) === last, 'the last line of topic a');
      const seen = await page.evaluate(readPage);
      assert.deepEqual(dataLines(seen), wanted.map((e) => e.data));
      for (const row of seen.rows) assert.equal(row.topic, 'a', `"${row.line}" is labelled a`);
      // The type is labelled beside the topic, as without topics.
      assert.deepEqual(seen.rows.find((r) => r.line === 'line 15').tags, ['a', 'deploy']);
      assert.equal(seen.topics, 'topica');
      assert.equal(await page.title(), 'a · sse-serve');
      // The token is never shown.
      assert.ok(!(await page.evaluate(() => document.documentElement.outerHTML.replace(/<script>[^]*<\/script>/, '')))
        .includes(token));
      assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(token));
    }
    // The stream was asked for the page's topic and token, once for both tabs (-v redacts tokens).
    const asked = serve.stderr().split('\n').filter((l) => / connected to /.test(l));
    assert.equal(asked.length, 1, asked.join('\n'));
    assert.match(asked[0], /connected to \/events\?types=1&topic=a&token=REDACTED \(/);
    assert.ok(!serve.stderr().includes(token));

    // Two topics on one stream; the filter matches the topic's name too.
    const both = await open(`?topic=a&topic=b&token=${token}`);
    await connected(both);
    assert.equal((await both.evaluate(readPage)).role, 'live', 'another stream, held by this tab');
    await serve.write(['a', 'b', 'c', 'b'].map((topic, i) => JSON.stringify({ data: `more ${i}`, topic })).join('\n') + '\n');
    await waitFor(async () => (await lastLine(both)) === 'more 3', 'the lines of topics a and b');
    let seen = await both.evaluate(readPage);
    assert.deepEqual(seen.rows.map((r) => [r.topic, r.line]), [['a', 'more 0'], ['b', 'more 1'], ['b', 'more 3']]);
    assert.equal(seen.topics, 'topicsab');
    await both.fill('#filter', 'B');
    await waitFor(async () => (await both.evaluate(readPage)).footer === '2 of 3 lines match', 'the filter on topic b');
    seen = await both.evaluate(readPage);
    assert.deepEqual(seen.rows.map((r) => r.hidden), [true, false, false]);
    // A topic that matches is marked in its label.
    assert.equal(await both.evaluate(() => document.querySelectorAll('.row:not(.hidden) .tag.topic mark').length), 2);

    // Without the token (and with a wrong one) the page says it is not allowed, and why.
    const without = await open('?topic=a');
    await waitFor(async () => (await without.evaluate(readPage)).state === 'not allowed', 'the not-allowed state');
    assert.match((await without.evaluate(readPage)).notice, /^Not allowed: a token is needed\./);
    const wrong = await open('?topic=a&token=not-the-token');
    await waitFor(async () => (await wrong.evaluate(readPage)).state === 'not allowed', 'the not-allowed state');
    seen = await wrong.evaluate(readPage);
    assert.match(seen.notice, /^Not allowed: the server did not accept this page's token/);
    assert.ok(!seen.notice.includes('not-the-token'));
    // A token the server learns later (SIGHUP): a tab opened then asks again for every tab.
    const later = 'tok-added-later';
    const early = await open(`?topic=a&token=${later}`);
    await waitFor(async () => (await early.evaluate(readPage)).state === 'not allowed', 'the not-allowed state');
    fs.appendFileSync(tokenFile, `${later}\n`);
    serve.proc.kill('SIGHUP');
    await waitFor(() => serve.stderr().includes('SIGHUP: reloaded 2 subscriber tokens'), 'the tokens reloaded');
    const reloaded = await open(`?topic=a&token=${later}`);
    for (const page of [early, reloaded]) {
      await waitFor(async () => (await page.evaluate(readPage)).state === 'connected', 'both tabs connected');
    }
    assert.equal((await reloaded.evaluate(readPage)).role, 'via another tab');
    await serve.write(JSON.stringify({ data: 'allowed now', topic: 'a' }) + '\n');
    for (const page of [early, reloaded]) {
      await waitFor(async () => (await lastLine(page)) === 'allowed now', 'the line in both tabs');
    }
    // A topic the server will never take: its reason is shown.
    const bad = await open(`?topic=${encodeURIComponent('a/b')}&token=${token}`);
    await waitFor(async () => (await bad.evaluate(readPage)).state === 'refused', 'the refused state');
    assert.match((await bad.evaluate(readPage)).notice, /^The server refused this page's stream: bad topic: /);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
    fs.rmSync(path.dirname(tokenFile), { recursive: true, force: true });
  }
});

test('browser: without sharing, a page over HTTP/1.1 gets six EventSources; the rest wait with no error', async () => {
  const serve = await startServe(['--metrics']);
  const browser = await launchChromium();
  try {
    // A document of the server's origin that is not the live page (which would open a stream).
    const page = await browser.newPage();
    await page.goto(`${serve.url}healthz`);
    await page.evaluate(() => {
      window.sources = [];
      window.got = [];
      for (let i = 0; i < 10; ++i) {
        const es = new EventSource('/events');
        es.onmessage = () => { window.got[i] = true; };
        window.sources.push(es);
      }
    });
    const open = () => page.evaluate(() => window.sources.filter((es) => es.readyState === EventSource.OPEN).length);
    await waitFor(async () => (await open()) === 6, 'six streams to open');
    await serve.write('to every open stream\n');
    await waitFor(async () => (await page.evaluate(() => window.got.filter(Boolean).length)) === 6,
      'the six open streams to get the line');
    // The other four are still waiting for a connection: the server has six clients, not ten.
    assert.equal(await metric(serve.url, 'sse_clients'), 6);
    assert.deepEqual(await page.evaluate(() => window.sources.map((es) => es.readyState)),
      [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    console.log('# 10 EventSources in one page over HTTP/1.1: 6 open, 4 waiting');
    // They were queued, not failed: closing one lets the next in.
    await page.evaluate(() => window.sources[0].close());
    await waitFor(async () => (await open()) === 6 && (await metric(serve.url, 'sse_clients')) === 6,
      'a waiting stream to take the freed connection');
    assert.equal(await page.evaluate(() => window.sources[6].readyState), 1);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: ten tabs over HTTP/1.1 share one stream; when its tab closes another takes over, and no tab loses or repeats a line', async () => {
  const serve = await startServe(['--metrics', '--exit-on-eof', '-v']);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  const lines = [];
  const send = async (from, to) => {
    const batch = [];
    for (let i = from; i <= to; ++i) batch.push(`line ${i}`);
    lines.push(...batch);
    await serve.write(batch.join('\n') + '\n');
  };
  const showsAll = (pages) => waitFor(async () => {
    for (const page of pages) if ((await lastLine(page)) !== lines[lines.length - 1]) return false;
    return true;
  }, `${lines[lines.length - 1]} in every tab`);
  const roles = async (pages) => Promise.all(pages.map(async (page) => (await page.evaluate(readPage)).role));
  try {
    const tabs = [];
    for (let i = 0; i < 10; ++i) {
      const page = await context.newPage();
      await page.goto(serve.url);
      tabs.push(page);
    }
    for (const page of tabs) {
      await waitFor(async () => (await page.evaluate(readPage)).state === 'connected', 'every tab connected');
    }
    let seen = await roles(tabs);
    assert.equal(seen.filter((r) => r === 'live').length, 1, seen.join(', '));
    assert.equal(seen.filter((r) => r === 'via another tab').length, 9, seen.join(', '));
    assert.equal(await metric(serve.url, 'sse_clients'), 1, 'one stream for ten tabs');

    await send(1, 40);
    await showsAll(tabs);
    // The tab holding the stream closes while lines keep coming: the next one resumes after the
    // last id it was given.
    const leader = tabs[seen.indexOf('live')];
    const rest = tabs.filter((t) => t !== leader);
    await leader.close();
    await send(41, 80);
    await waitFor(async () => (await roles(rest)).includes('live'), 'another tab to take the stream');
    await send(81, 120);
    await showsAll(rest);
    for (const page of rest) assert.deepEqual(dataLines(await page.evaluate(readPage)), lines);
    seen = await roles(rest);
    assert.equal(seen.filter((r) => r === 'live').length, 1, seen.join(', '));
    await waitFor(async () => (await metric(serve.url, 'sse_clients')) === 1, 'one stream again');
    // Two streams in all: the first tab's, then the next one's, resuming where the lines it had ended.
    const streams = serve.stderr().split('\n').filter((l) => / connected to /.test(l));
    assert.equal(streams.length, 2, streams.join('\n'));
    assert.match(streams[1], /connected to \/events\?types=1&lastEventId=\d+, resuming after id \d+ /);

    // A message from a tab that held the stream before repeats lines already shown: they are
    // recognised by id. (Sent by hand here; in a handover it is the old tab's last message.)
    const followers = rest.filter((t, i) => seen[i] !== 'live');
    await followers[0].evaluate((name) => new BroadcastChannel(name).postMessage({ items: [
      { type: 'message', data: 'line 100', lastEventId: '100', t: Date.now(), topic: '' },
      { type: 'message', data: 'a new line', lastEventId: 'x-1', t: Date.now(), topic: '' },
    ] }), await followers[0].evaluate(() => window.__sse_share));
    for (const page of followers) {
      await waitFor(async () => (await lastLine(page)) === 'a new line', 'the new line in every follower');
      assert.deepEqual(dataLines(await page.evaluate(readPage)), [...lines, 'a new line']);
    }

    // The end of the stream reaches every tab; after it, the tabs share nothing more (no lock held
    // or asked for), so a tab opened later (perhaps for a new server) opens a stream of its own.
    serve.proc.stdin.end();
    for (const page of rest) {
      await waitFor(async () => (await page.evaluate(readPage)).state === 'ended', 'every tab to show the end');
    }
    await waitFor(async () => (await rest[0].evaluate(async () => {
      const locks = await navigator.locks.query();
      return locks.held.length + locks.pending.length;
    })) === 0, 'the tabs to give the lock up');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: the tab holding the stream relays only while another tab listens', async () => {
  const serve = await startServe([]);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const open = () => openConnected(context, serve.url);
  const relaying = (page) => page.evaluate(() => window.__sse_relaying);
  try {
    const first = await open();
    await waitFor(async () => !(await relaying(first)), 'a lone tab to stop relaying');
    let second = await open();
    assert.equal((await second.evaluate(readPage)).role, 'via another tab');
    assert.ok(await relaying(first));
    await serve.write('one\n');
    await waitFor(async () => (await lastLine(second)) === 'one', 'the line in the second tab');
    await second.close();
    await waitFor(async () => !(await relaying(first)), 'relaying to stop once the second tab is gone');
    second = await open();
    await serve.write('two\n');
    await waitFor(async () => (await lastLine(second)) === 'two', 'the line in a tab opened later');
    assert.deepEqual(dataLines(await second.evaluate(readPage)), ['two']);
    await waitFor(async () => (await lastLine(first)) === 'two', 'the line in the first tab');
    assert.deepEqual(dataLines(await first.evaluate(readPage)), ['one', 'two']);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: a tab that joins another tab\'s stream first shows the newest --backlog lines, once each', async () => {
  const serve = await startServe(['--backlog', '5', '--metrics']);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  const open = () => openConnected(context, serve.url);
  try {
    await serve.write(Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    await waitFor(async () => (await metric(serve.url, 'sse_history_events')) === 8, 'the lines in the history');
    const first = await open();
    const backlog = ['line 4', 'line 5', 'line 6', 'line 7', 'line 8'];
    await waitFor(async () => (await lastLine(first)) === 'line 8', 'the backlog in the first tab');
    assert.deepEqual(dataLines(await first.evaluate(readPage)), backlog);
    // The second tab follows the first (one stream) and starts with the same five lines.
    const second = await open();
    assert.equal((await second.evaluate(readPage)).role, 'via another tab');
    await waitFor(async () => (await lastLine(second)) === 'line 8', 'the backlog in the joining tab');
    await serve.write('line 9\n');
    await waitFor(async () => (await lastLine(second)) === 'line 9', 'a new line in the joining tab');
    assert.deepEqual(dataLines(await second.evaluate(readPage)), [...backlog, 'line 9']);
    // A third tab joins while lines are being relayed to the second: the newest five, then the
    // live ones, none twice.
    await serve.write('line 10\n');
    await waitFor(async () => (await lastLine(second)) === 'line 10', 'line 10 relayed');
    const third = await open();
    await serve.write('line 11\n');
    await waitFor(async () => (await lastLine(third)) === 'line 11', 'the new line in the third tab');
    assert.deepEqual(dataLines(await third.evaluate(readPage)), ['line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    await waitFor(async () => (await lastLine(first)) === 'line 11', 'the new line in the first tab');
    assert.equal(await metric(serve.url, 'sse_clients'), 1, 'one stream for three tabs');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.stop();
  }
});

test('browser: a tab that takes the stream over before any line came resumes where the stream began', async () => {
  const serve = await startServe(['--metrics', '-v']);
  const proxy = await startProxy(serve.port);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const open = () => openConnected(context, `http://127.0.0.1:${proxy.port}/`);
  try {
    await serve.write('before 1\nbefore 2\n');
    await waitFor(async () => (await metric(serve.url, 'sse_history_events')) === 2, 'the lines in the history');
    const first = await open();
    const second = await open();
    assert.equal((await second.evaluate(readPage)).role, 'via another tab');
    // New connections wait at the proxy; the idle ones are cut, so the tab that takes over has to
    // open one. Lines published meanwhile came after the position its stream was told.
    proxy.hold();
    proxy.cut();
    await first.close();
    await waitFor(async () => (await second.evaluate(readPage)).role === 'live', 'the second tab to take over');
    await waitFor(async () => proxy.waitingCount() >= 1, 'its stream to wait at the proxy');
    await serve.write('gap 1\ngap 2\n');
    await waitFor(async () => (await metric(serve.url, 'sse_history_events')) === 4, 'the gap in the history');
    proxy.release();
    await waitFor(async () => (await lastLine(second)) === 'gap 2', 'the lines of the gap');
    assert.deepEqual(dataLines(await second.evaluate(readPage)), ['gap 1', 'gap 2']);
    const streams = serve.stderr().split('\n').filter((l) => / connected to \/events\?types=1&lastEventId=2/.test(l));
    assert.ok(streams.length >= 1, serve.stderr());
  } finally {
    await browser.close();
    await proxy.close();
    await serve.stop();
  }
});

test('browser: without Web Locks each tab has a stream of its own', async () => {
  const serve = await startServe(['--metrics']);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  await context.addInitScript(() => { delete Navigator.prototype.locks; });
  try {
    const tabs = [await context.newPage(), await context.newPage()];
    for (const page of tabs) {
      await page.goto(serve.url);
      await waitFor(async () => (await page.evaluate(readPage)).state === 'connected', 'the tab to connect');
      assert.equal((await page.evaluate(readPage)).role, 'live');
    }
    assert.equal(await metric(serve.url, 'sse_clients'), 2);
    await serve.write('one line\n');
    for (const page of tabs) {
      await waitFor(async () => (await lastLine(page)) === 'one line', 'the line in each tab');
      assert.deepEqual(dataLines(await page.evaluate(readPage)), ['one line']);
    }
  } finally {
    await browser.close();
    await serve.stop();
  }
});
