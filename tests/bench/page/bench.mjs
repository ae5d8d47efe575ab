// The live page under a burst, for scripts/bench-page.sh. For each scenario, run and page, a fresh
// sse-serve starts, Debian's chromium (headless) opens its page, and N lines go to the server's
// stdin: at full speed, or paced at --rate lines a second. The page is polled until the last line
// sent is on screen or --deadline passes. One JSON line per measurement goes to --out:
//   page, scenario, run, lines, last_shown (the last line was on screen), seconds (first write to
//   the last line seen, or to the deadline), shown (lines the page put into its DOM; skipped ones
//   do not count), skipped, received (events the page took from its EventSource), shown_per_s,
//   received_per_s, queue_max (the most events seen waiting), frames, reset (the server dropped
//   the page: it showed "Missed … events").
// and a table of medians goes to stdout.
//
// The peer "eventsource" is chromium's EventSource alone: a blank page whose handler only counts,
// on the same server: the most events a second any page could take.
//
// usage: node bench.mjs --page NAME=SSE_SERVE ... [--peer] [--short N] [--long N] [--rate N]
//          [--runs R] [--deadline S] [--client-buffer SIZE] [--driver pipe|playwright] [--check]
//          --out FILE
// --check (the ctest smoke test): exit 1 unless every run of every page ended with the last line
// on screen and no reset.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const opts = {
  pages: [], peer: false, short: 500000, long: 100000, rate: 100000, runs: 3, deadline: 60,
  clientBuffer: '256M', driver: 'pipe', out: null, check: false,
};
for (let i = 2; i < process.argv.length; ++i) {
  const arg = process.argv[i];
  const value = () => {
    if (i + 1 >= process.argv.length) usage(`${arg} needs a value`);
    return process.argv[++i];
  };
  if (arg === '--page') {
    const [name, binary] = value().split('=');
    if (!name || !binary) usage('--page takes NAME=SSE_SERVE');
    opts.pages.push({ name, binary });
  } else if (arg === '--peer') opts.peer = true;
  else if (arg === '--short') opts.short = count(value(), arg);
  else if (arg === '--long') opts.long = count(value(), arg);
  else if (arg === '--rate') opts.rate = count(value(), arg);
  else if (arg === '--runs') opts.runs = count(value(), arg);
  else if (arg === '--deadline') opts.deadline = count(value(), arg);
  else if (arg === '--client-buffer') opts.clientBuffer = value();
  else if (arg === '--driver') opts.driver = value();
  else if (arg === '--out') opts.out = value();
  else if (arg === '--check') opts.check = true;
  else usage(`unknown argument: ${arg}`);
}
if (opts.pages.length === 0) usage('at least one --page NAME=SSE_SERVE is needed');
if (!['pipe', 'playwright'].includes(opts.driver)) usage('--driver takes pipe or playwright');
if (!opts.out) usage('--out FILE is needed');
if (!fs.existsSync(CHROMIUM)) usage(`${CHROMIUM} is missing: run scripts/setup.sh`);
if (opts.peer) opts.pages.push({ name: 'eventsource', binary: opts.pages[0].binary, peer: true });

function usage(why) {
  console.error(`bench-page: error: ${why}`);
  process.exit(2);
}
function count(text, arg) {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) usage(`${arg} takes a positive integer, not "${text}"`);
  return Number(text);
}

// Short lines are what `seq` prints; long ones are 200 bytes with the newline, starting with their
// number, like a log line.
function corpus(shape, n) {
  const parts = [];
  const filler = ' GET /api/v2/items?page=17&sort=-updated_at 200 1834 bytes 12.7 ms ' +
    'user-agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)" ref="https://example.org/';
  for (let i = 1; i <= n; ++i) {
    parts.push(shape === 'short' ? String(i) : (String(i).padStart(7, '0') + filler).padEnd(199, '.').slice(0, 199));
  }
  return Buffer.from(parts.join('\n') + '\n');
}

function startServe(binary) {
  // --cors lets the peer's blank page (another origin) read the stream.
  const proc = spawn(binary, ['--host', '127.0.0.1', '--port', '0', '--client-buffer', opts.clientBuffer,
    '--cors', '*'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not start: ${stderr}`)), 15000);
    proc.on('exit', (code) => reject(new Error(`${binary} exited ${code}: ${stderr}`)));
    proc.stdin.on('error', () => {});
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/[^\s]+\/)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1],
        stderr: () => stderr,
        write: (bytes) => new Promise((ok) => proc.stdin.write(bytes, ok)),
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

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding'];

// The default driver: chromium started here with --remote-debugging-pipe, and a minimal DevTools
// protocol client that uses only Target and Runtime. Playwright enables the Network domain on
// every page, and chromium then reports each EventSource message to it: that alone holds a page
// to about a quarter of the events a second it takes undriven, whatever the page does.
async function openWithPipe(url) {
  const profile = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'bench-page-'));
  const proc = spawn(CHROMIUM, ['--headless', ...FLAGS, '--window-size=1100,700',
    `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const [toChrome, fromChrome] = [proc.stdio[3], proc.stdio[4]];
  let nextId = 1, buffered = '';
  const waiting = new Map();
  fromChrome.on('data', (d) => {
    buffered += d.toString('utf8');
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const reply = message.id !== undefined && waiting.get(message.id);
      if (!reply) continue;
      waiting.delete(message.id);
      if (message.error) reply.reject(new Error(`${reply.method}: ${message.error.message}`));
      else reply.resolve(message.result);
    }
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  proc.on('exit', () => {
    for (const reply of waiting.values()) reply.reject(new Error(`chromium exited during ${reply.method}`));
  });
  const send = (method, params = {}, sessionId = undefined) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject, method });
    toChrome.write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  });
  const { targetId } = await send('Target.createTarget', { url });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  return {
    evaluate: async (fn, arg) => {
      const { result, exceptionDetails } = await send('Runtime.evaluate',
        { expression: `(${fn})(${JSON.stringify(arg)})`, returnByValue: true }, sessionId);
      if (exceptionDetails) {
        throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      }
      return result.value;
    },
    close: async () => {
      // Browser.close lets chromium end its helper processes before the profile is removed.
      await Promise.race([send('Browser.close').catch(() => {}), exited]);
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

// What the interop tests see (browser.test.mjs): playwright-core driving the same chromium.
async function openWithPlaywright(url) {
  // playwright-core is installed for the interop tests (scripts/setup.sh); reuse that copy.
  const { chromium } = createRequire(path.resolve(here, '../../interop/package.json'))('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const tab = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await tab.goto(url);
  return { evaluate: (fn, arg) => tab.evaluate(fn, arg), close: () => browser.close() };
}

// Runs in the page: the newest line on screen and the page's counters. It walks only last
// children (log → … → row), so it reads a page that groups rows and one that does not alike, and
// costs the page almost nothing.
function probe() {
  let el = document.getElementById('log');
  while (el && !el.classList.contains('row')) el = el.lastElementChild;
  // The newest data row: the page's own rows (a reset, skipped lines) carry a tag of class "sys".
  while (el && el.querySelector('.sys')) el = el.previousElementSibling;
  // The old page keeps a line in a .data span; the new one in the row itself (after any tags).
  const data = el ? el.querySelector('.data') ?? el : null;
  const notice = document.getElementById('notice');
  const number = (name) => (typeof window[name] === 'number' ? window[name] : null);
  // The old page has no counters, but its header says how many events it received.
  const stats = document.getElementById('stats');
  const counted = stats ? Number(stats.textContent.replace(/[^0-9]/g, '')) : null;
  return {
    last: data ? data.textContent : '',
    shown: number('__sse_shown'),
    skipped: number('__sse_skipped') ?? 0,
    received: number('__sse_received') ?? counted,
    queued: number('__sse_queued') ?? 0,
    frames: number('__sse_frames'),
    notice: notice && notice.classList.contains('show') ? notice.textContent : '',
  };
}

// The peer: a blank page of another origin whose EventSource handler only counts.
function peerStart(url) {
  window.__received = 0;
  window.__last = '';
  window.__open = false;
  const source = new EventSource(url + 'events');
  source.onopen = () => { window.__open = true; };
  source.onmessage = (e) => {
    ++window.__received;
    window.__last = e.data;
  };
}
function peerProbe() {
  return { last: window.__last, shown: null, skipped: 0, received: window.__received, queued: 0,
    frames: null, notice: '', open: window.__open };
}

// Writes the input at once, or paced: every few milliseconds, the lines due by then.
async function feed(serve, input, lines, rate) {
  if (!rate) return serve.write(input);
  const start = performance.now();
  let at = 0, sent = 0;
  while (sent < lines) {
    const due = Math.min(lines, Math.ceil((performance.now() - start) * rate / 1000));
    if (due > sent) {
      let end = at;
      for (let n = sent; n < due; ++n) end = input.indexOf(10, end) + 1;
      await serve.write(input.subarray(at, end));
      at = end;
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function measure(page, scenario, run, input) {
  const serve = await startServe(page.binary);
  let tab = null;
  try {
    const open = opts.driver === 'playwright' ? openWithPlaywright : openWithPipe;
    const lookAt = page.peer ? peerProbe : probe;
    if (page.peer) {
      tab = await open('about:blank');
      await tab.evaluate(peerStart, serve.url);
    } else {
      tab = await open(serve.url);
    }
    // The page is ready once its EventSource is open (it may still be loading: no #state yet).
    const connected = page.peer ? () => window.__open
      : () => !!document.getElementById('state')?.classList.contains('connected');
    const connectedBy = Date.now() + 20000;
    while (!(await tab.evaluate(connected))) {
      if (Date.now() > connectedBy) throw new Error(`${page.name}: the page did not connect`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const start = performance.now();
    const feeding = feed(serve, input, scenario.lines, scenario.rate);
    const deadline = start + opts.deadline * 1000;
    let seen = null, at = 0, queueMax = 0;
    for (;;) {
      seen = await tab.evaluate(lookAt);
      at = performance.now();
      queueMax = Math.max(queueMax, seen.queued);
      if (parseInt(seen.last, 10) === scenario.lines || seen.notice.startsWith('Missed') || at > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await feeding;
    const lastNumber = parseInt(seen.last, 10) || 0;
    const seconds = (at - start) / 1000;
    // The old page renders every event it gets, in order: its newest line's number is its count.
    const shown = page.peer ? 0 : seen.shown ?? lastNumber;
    const received = seen.received ?? lastNumber;
    return {
      page: page.name, driver: opts.driver, scenario: scenario.name, run, lines: scenario.lines,
      last_shown: lastNumber === scenario.lines, seconds: Number(seconds.toFixed(3)), shown,
      skipped: seen.skipped, received, shown_per_s: Math.round(shown / seconds),
      received_per_s: Math.round(received / seconds), queue_max: queueMax, frames: seen.frames,
      reset: seen.notice.startsWith('Missed'),
    };
  } finally {
    if (tab) await tab.close();
    await serve.stop();
  }
}

const scenarios = [
  { name: 'short, full speed', shape: 'short', lines: opts.short, rate: 0 },
  { name: '200 B, full speed', shape: 'long', lines: opts.long, rate: 0 },
  { name: `short, ${opts.rate}/s`, shape: 'short', lines: opts.short, rate: opts.rate },
  { name: `200 B, ${opts.rate}/s`, shape: 'long', lines: opts.long, rate: opts.rate },
];
fs.writeFileSync(opts.out, '');
const results = [];
for (const scenario of scenarios) {
  const input = corpus(scenario.shape, scenario.lines);
  for (let run = 1; run <= opts.runs; ++run) {
    // Rotate the order so that no page always runs first on a warmer (or busier) machine.
    const order = opts.pages.map((_, i) => opts.pages[(i + run - 1) % opts.pages.length]);
    for (const page of order) {
      const result = await measure(page, scenario, run, input);
      results.push(result);
      fs.appendFileSync(opts.out, JSON.stringify(result) + '\n');
      console.error(`bench-page: ${scenario.name}, run ${run}, ${page.name}: ` +
        `${result.shown_per_s} shown/s, ${result.received_per_s} received/s, last line ` +
        `${result.last_shown ? `after ${result.seconds} s` : 'never'}`);
    }
  }
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const rows = [['scenario', 'page', 'shown/s', 'received/s', 'skipped', 'queue max', 'last line', 'after s', 'reset']];
for (const scenario of scenarios) {
  for (const page of opts.pages) {
    const mine = results.filter((r) => r.scenario === scenario.name && r.page === page.name);
    const last = mine.filter((r) => r.last_shown).length;
    rows.push([scenario.name, page.name,
      page.peer ? '-' : String(median(mine.map((r) => r.shown_per_s))),
      String(median(mine.map((r) => r.received_per_s))),
      page.peer ? '-' : String(median(mine.map((r) => r.skipped))),
      page.peer ? '-' : String(median(mine.map((r) => r.queue_max))),
      `${last}/${mine.length}`,
      last ? String(median(mine.filter((r) => r.last_shown).map((r) => r.seconds))) : '-',
      String(mine.filter((r) => r.reset).length)]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const row of rows) console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));

if (opts.check) {
  const bad = results.filter((r) => !r.last_shown || r.reset);
  for (const r of bad) console.error(`bench-page: error: ${r.scenario}, run ${r.run}, ${r.page}: ${r.reset ? 'dropped by the server' : 'the last line never showed'}`);
  if (bad.length) process.exit(1);
}
