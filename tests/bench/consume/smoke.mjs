// bench.consume.smoke: the consumption benchmark's setup, small and checked for correctness, so the
// numbers scripts/bench-consume.sh reports are known to come from complete, correct runs.
// No timing is asserted. For each corpus, blast_server (--events N) serves N events and:
//   - `sse-listen --no-reconnect --json URL` prints exactly N JSON lines, each the right event
//     (type, id, data checked against how blast_server builds the corpus);
//   - `sse-listen --no-reconnect --json -` on the same bytes from stdin prints the same lines;
//   - `sse-listen --no-reconnect --raw URL` prints the corpus byte for byte.
//
//   node smoke.mjs BLAST_SERVER SSE_LISTEN
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

const [blastServer, sseListen] = process.argv.slice(2);
if (!blastServer || !sseListen) {
  console.error('usage: node smoke.mjs BLAST_SERVER SSE_LISTEN');
  process.exit(2);
}

const deadlineMs = 60_000;
const cases = [
  // Enough tiny events to span many reads, typical ids past a few digits, large events bigger
  // than any single read.
  { corpus: 'tiny', events: 20_000 },
  { corpus: 'typical', events: 3_000 },
  { corpus: 'large', events: 40 },
];

// What event `seq` (1-based) of each corpus must look like once parsed: the shapes blast_server.cpp
// documents. Checked field by field rather than against a copy of its generator.
function checkEvent(corpus, seq, event, where) {
  assert.deepEqual(Object.keys(event).slice(0, 3), ['event', 'data', 'id'], `${where}: key order`);
  if (corpus === 'tiny') {
    assert.deepEqual([event.event, event.data, event.id], ['message', 'x', ''], where);
  } else if (corpus === 'typical') {
    assert.equal(event.event, 'update', where);
    assert.equal(event.id, String(seq), where);
    assert.equal(event.data.length, 200, `${where}: data length`);
    assert.equal(JSON.parse(event.data).seq, seq, `${where}: data is the JSON blast_server sent`);
  } else {
    assert.equal(event.event, 'message', where);
    assert.equal(event.id, '', where);
    assert.equal(event.data.length, 65536, `${where}: data length`);
    assert.ok(event.data.startsWith(`${seq} Lorem ipsum`), `${where}: data starts with its number`);
    assert.ok(!event.data.includes('\n'), `${where}: data has no newline`);
  }
}

function run(command, args, input) {
  const result = spawnSync(command, args, {
    input,
    timeout: deadlineMs,
    maxBuffer: 256 << 20,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const shown = [command, ...args].join(' ');
  if (result.error) throw new Error(`${shown}: ${result.error.message}`);
  assert.equal(result.status, 0, `${shown} exited ${result.status ?? result.signal}: ${result.stderr}`);
  return result.stdout;
}

function startServer(events) {
  return new Promise((resolve, reject) => {
    const server = spawn(blastServer, ['--port', '0', '--events', String(events)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const timer = setTimeout(() => reject(new Error('blast_server did not start listening')), deadlineMs);
    let stderr = '';
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (text) => {
      stderr += text;
      const match = stderr.match(/listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) {
        clearTimeout(timer);
        resolve({ server, base: match[1] });
      }
    });
    server.on('exit', (code) => reject(new Error(`blast_server exited ${code}: ${stderr}`)));
    server.on('error', reject);
  });
}

let failed = false;
for (const { corpus, events } of cases) {
  const { server, base } = await startServer(events);
  try {
    const url = `${base}${corpus}`;
    const corpusBytes = run(blastServer, ['--dump', corpus, '--events', String(events)]);

    const json = run(sseListen, ['--no-reconnect', '--json', url]).toString('utf8');
    const lines = json.split('\n');
    assert.equal(lines.pop(), '', `${corpus}: output ends with a newline`);
    assert.equal(lines.length, events, `${corpus}: number of events printed`);
    lines.forEach((line, i) => checkEvent(corpus, i + 1, JSON.parse(line), `${corpus} event ${i + 1}`));

    const fromStdin = run(sseListen, ['--no-reconnect', '--json', '-'], corpusBytes).toString('utf8');
    assert.equal(fromStdin, json, `${corpus}: the stdin path prints what the network path prints`);

    const raw = run(sseListen, ['--no-reconnect', '--raw', url]);
    assert.ok(raw.equals(corpusBytes), `${corpus}: --raw gives the ${corpusBytes.length} bytes sent ` +
              `(got ${raw.length})`);
    console.log(`ok ${corpus}: ${events} events, ${corpusBytes.length} bytes`);
  } catch (error) {
    failed = true;
    console.error(`FAIL ${corpus}: ${error.message}`);
  } finally {
    server.removeAllListeners('exit');
    server.kill();
  }
}
process.exit(failed ? 1 : 0);
