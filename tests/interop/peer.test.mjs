// sse-listen against a peer server that is not ours: a Node server built on the npm `better-sse`
// package. Events published through the peer must reach `sse-listen --json` exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createSession } from 'better-sse';
import { SSE_LISTEN } from './harness.mjs';

// Runs sse-listen with args; resolves with its exit code, stdout and stderr.
function listen(args, ms = 20000) {
  if (!SSE_LISTEN) throw new Error('SSE_LISTEN is not set (path of the sse-listen binary)');
  return new Promise((resolve, reject) => {
    const proc = spawn(SSE_LISTEN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`sse-listen hung: ${stderr}`)); }, ms);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function startPeer(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    await handler(req, res, requests.length, body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  })));
}

const lines = (s) => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

test('better-sse peer: events, types, ids and a resumed stream reach sse-listen --json', async () => {
  const peer = await startPeer(async (req, res, n) => {
    const session = await createSession(req, res, { serializer: String, retry: 200, keepAlive: null });
    if (n === 1) {
      session.push('first', 'message', '1');
      session.push('second: with a colon', 'update', '2');  // (better-sse does not split newlines)
      session.push('{"json":"as text"}', 'message', '3');
      setTimeout(() => res.end(), 50);  // the peer drops the stream; sse-listen must resume
    } else {
      session.push(`resumed after ${req.headers['last-event-id']}`, 'message', '4');
      session.push('ünïcödé ✓', 'update', '5');
    }
  });
  try {
    const r = await listen(['--json', '-n', '5', '--timeout', '15', `${peer.url}/sse`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      { event: 'message', data: 'first', id: '1' },
      { event: 'update', data: 'second: with a colon', id: '2' },
      { event: 'message', data: '{"json":"as text"}', id: '3' },
      { event: 'message', data: 'resumed after 3', id: '4' },
      { event: 'update', data: 'ünïcödé ✓', id: '5' },
    ]);
    assert.equal(peer.requests.length, 2);
    assert.equal(peer.requests[0].headers['last-event-id'], undefined);
    assert.equal(peer.requests[1].headers['last-event-id'], '3');
    assert.match(peer.requests[0].headers.accept ?? '', /text\/event-stream/);
  } finally {
    await peer.close();
  }
});

test('better-sse peer: an LLM-style POST stream ends at its [DONE] sentinel', async () => {
  const peer = await startPeer(async (req, res, n, body) => {
    const session = await createSession(req, res, { serializer: String, keepAlive: null });
    const prompt = JSON.parse(body).prompt;
    for (const word of prompt.split(' ')) session.push(JSON.stringify({ delta: word }), 'message');
    session.push('[DONE]', 'message');
  });
  try {
    const r = await listen(['--json', '--no-reconnect', '--until-data', '[DONE]', '-X', 'POST',
      '-H', 'Content-Type: application/json', '-d', '{"prompt":"three small words"}', `${peer.url}/v1/stream`]);
    assert.equal(r.code, 0, r.stderr);
    const events = lines(r.stdout);
    assert.deepEqual(events.slice(0, 3).map((e) => JSON.parse(e.data).delta), ['three', 'small', 'words']);
    assert.equal(peer.requests[0].method, 'POST');
    assert.equal(peer.requests[0].headers['content-type'], 'application/json');
    assert.equal(peer.requests[0].body, '{"prompt":"three small words"}');
  } finally {
    await peer.close();
  }
});
