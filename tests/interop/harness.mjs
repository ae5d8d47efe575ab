// Shared pieces of the interop tests: start sse-serve on a free port, a TCP proxy that can cut
// every connection, and deadlines on every wait.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSE_SERVE = process.env.SSE_SERVE;
export const SSE_LISTEN = process.env.SSE_LISTEN;

// Resolves when predicate() is true, polling; rejects with `what` after `ms`.
export async function waitFor(predicate, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Starts sse-serve with args on 127.0.0.1 and a free port; resolves once it prints its URL
// (http:// or, with --tls-cert, https://).
export function startServe(args = [], env = {}) {
  if (!SSE_SERVE) throw new Error('SSE_SERVE is not set (path of the sse-serve binary)');
  const proc = spawn(SSE_SERVE, ['--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sse-serve did not start: ${stderr}`)), 15000);
    proc.on('exit', (code) => reject(new Error(`sse-serve exited ${code}: ${stderr}`)));
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (https?:\/\/[^\s]+\/)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        const url = new URL(m[1]);
        resolve({
          proc,
          url: m[1],
          port: Number(url.port),
          stderr: () => stderr,
          write: (text) => new Promise((ok) => proc.stdin.write(text, ok)),
          stop: () => new Promise((ok) => {
            if (proc.exitCode !== null) return ok(proc.exitCode);
            proc.removeAllListeners('exit');
            proc.on('exit', (code, signal) => ok(code ?? signal));
            proc.kill('SIGTERM');
          }),
        });
      }
    });
  });
}

// A TCP proxy in front of `port`. cut() destroys every open connection; hold() makes new
// connections wait (not refused) until release(); retarget(p) sends later ones to port p.
// Records when each connection arrived and the bytes each client sent.
export function startProxy(port) {
  const sockets = new Set();
  const parked = new Set();
  const requests = [];
  let held = false;
  const waiting = [];
  const arrivals = [];
  let target = port;  // retarget() sends new connections elsewhere (another replica)
  const server = net.createServer((client) => {
    arrivals.push(Date.now());
    const connect = () => {
      const upstream = net.connect(target, '127.0.0.1');
      const record = { sent: '' };
      requests.push(record);
      client.on('data', (d) => { record.sent += d.toString('latin1'); });
      client.pipe(upstream);
      upstream.pipe(client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
      }
    };
    if (!held) return connect();
    // A held client is closed with the rest if the proxy closes before release().
    parked.add(client);
    client.on('error', () => {});
    waiting.push(() => { parked.delete(client); connect(); });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      requests,
      arrivals,
      cut: () => { for (const s of sockets) s.destroy(); },
      hold: () => { held = true; },
      release: () => { held = false; for (const c of waiting.splice(0)) c(); },
      waitingCount: () => waiting.length,
      retarget: (p) => { target = p; },
      close: () => new Promise((ok) => {
        for (const s of [...sockets, ...parked]) s.destroy();
        server.close(ok);
      }),
    }));
  });
}

// Debian's chromium, headless, through playwright-core (a fresh, empty profile of its own).
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A token file (one token per line, as --token-file reads it) in a fresh temporary folder.
export function writeTokenFile(tokens) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sse-tokens-')), 'tokens');
  fs.writeFileSync(file, `# subscriber tokens\n${tokens.join('\n')}\n`);
  return file;
}

// One unlabelled sample of sse-serve's /metrics (it must run with --metrics).
export async function metric(baseUrl, name) {
  const text = await (await fetch(`${baseUrl}metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}
