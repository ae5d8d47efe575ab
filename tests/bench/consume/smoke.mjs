// bench.consume.smoke: the consumption benchmark's setup, small and checked for correctness, so the
// numbers scripts/bench-consume.sh reports are known to come from complete, correct runs.
// No timing is asserted. For each corpus, blast_server (--events N) serves N events and:
//   - `sse-listen --no-reconnect --json URL` prints exactly N JSON lines, each the right event
//     (type, id, data checked against how blast_server builds the corpus);
//   - `sse-listen --no-reconnect --json -` on the same bytes from stdin prints the same lines;
//   - `sse-listen --no-reconnect --raw URL` prints the corpus byte for byte;
//   - `sse-listen --no-reconnect --json --json-data URL` prints the same events, with each data
//     that JSON.parse accepts as that value, and the rest as the same strings.
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
  // The feeds whose data is JSON: past the 50-event comment, across completions and messages.
  { corpus: 'feed', events: 500 },
  { corpus: 'openai', events: 200 },
  { corpus: 'anthropic', events: 200 },
];

const anthropicTypes = new Set(['message_start', 'content_block_start', 'ping',
  'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);

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
  } else if (corpus === 'feed') {
    assert.ok(['create', 'update', 'delete'].includes(event.event), `${where}: type ${event.event}`);
    assert.equal(event.id, String(seq), where);
    const value = JSON.parse(event.data);
    const objects = Array.isArray(value) ? value : [value];
    assert.ok(objects.length >= 1 && objects.length <= 4, `${where}: 1-4 objects`);
    assert.equal(event.data.split('\n').length, objects.length, `${where}: one data line per object`);
    objects.forEach((object, i) => {
      assert.equal(object.seq, seq, `${where}: seq`);
      assert.equal(object.part, i + 1, `${where}: part`);
    });
  } else if (corpus === 'openai') {
    assert.deepEqual([event.event, event.id], ['message', ''], where);
    if (seq % 43 === 0) {
      assert.equal(event.data, '[DONE]', where);
    } else {
      const chunk = JSON.parse(event.data);
      assert.equal(chunk.object, 'chat.completion.chunk', where);
      assert.ok(chunk.id.startsWith('chatcmpl-'), where);
      assert.equal(chunk.choices[0].index, 0, where);
    }
  } else if (corpus === 'anthropic') {
    assert.ok(anthropicTypes.has(event.event), `${where}: type ${event.event}`);
    assert.equal(event.id, '', where);
    assert.equal(JSON.parse(event.data).type, event.event, `${where}: the data's type is the event's`);
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

    // --json-data: each line is the --json line with data that is JSON parsed in place.
    const jsonData = run(sseListen, ['--no-reconnect', '--json', '--json-data', url]).toString('utf8');
    const dataLines = jsonData.split('\n');
    assert.equal(dataLines.pop(), '', `${corpus}: --json-data output ends with a newline`);
    assert.equal(dataLines.length, events, `${corpus}: number of events printed with --json-data`);
    dataLines.forEach((line, i) => {
      const where = `${corpus} --json-data event ${i + 1}`;
      const plain = JSON.parse(lines[i]);
      let expected = plain.data;
      try { expected = JSON.parse(plain.data); } catch { /* not JSON: stays the string */ }
      assert.deepEqual(JSON.parse(line), { ...plain, data: expected }, where);
    });

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
