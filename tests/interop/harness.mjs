// Shared pieces of the interop tests: start sse-serve on a free port, a TCP proxy that can cut
// every connection, and deadlines on every wait.
import { spawn } from 'node:child_process';
import net from 'node:net';

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
export function startServe(args = []) {
  if (!SSE_SERVE) throw new Error('SSE_SERVE is not set (path of the sse-serve binary)');
  const proc = spawn(SSE_SERVE, ['--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
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
// connections wait (not refused) until release(). Records when each connection arrived and the
// bytes each client sent.
export function startProxy(port) {
  const sockets = new Set();
  const requests = [];
  let held = false;
  const waiting = [];
  const arrivals = [];
  const server = net.createServer((client) => {
    arrivals.push(Date.now());
    const connect = () => {
      const upstream = net.connect(port, '127.0.0.1');
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
    if (held) waiting.push(connect); else connect();
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
      close: () => new Promise((ok) => { for (const s of sockets) s.destroy(); server.close(ok); }),
    }));
  });
}
