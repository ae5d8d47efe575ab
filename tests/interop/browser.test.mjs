// A real browser (Debian's chromium, headless, driven by playwright-core) opens the live page of a
// running sse-serve; lines fed to its stdin must all appear on the page, in order. A screenshot
// goes to the build folder for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServe, waitFor } from './harness.mjs';

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
