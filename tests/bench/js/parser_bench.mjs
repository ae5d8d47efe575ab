// The peer side of libsse's parser benchmark: npm eventsource-parser over the corpora that
// parser_bench --write-corpus DIR wrote, fed as its users feed it: the bytes in 64 KiB chunks, each
// decoded to a string by one TextDecoder in stream mode, then parser.feed(string).
//
//   node parser_bench.mjs CORPUS_DIR [--runs N] [--warmup N] [--package NAME] [--json]
//
// --package picks the installed copy: eventsource-parser (4.1.3, the latest) or eventsource-parser-3
// (3.1.1, the last release that supports Node 20, and the one npm eventsource 4.1.1 uses).
// Each run is timed twice over: wall clock, and CPU time of the process (user + system, which
// includes V8's GC and compiler threads: work done for this parse). Also timed, separately:
// parse only, on strings decoded before the clock starts, to show what TextDecoder costs.
// Every run's event count and total data length must match the manifest, or the exit status is 1.
// Figures are medians over --runs (default 11) after --warmup (default 3) untimed runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

function usage(message) {
  if (message) console.error(`parser_bench.mjs: error: ${message}`);
  console.error('usage: node parser_bench.mjs CORPUS_DIR [--runs N] [--warmup N] [--package NAME] [--json]');
  process.exit(2);
}

const args = process.argv.slice(2);
let dir;
let runs = 11;
let warmup = 3;
let pkg = 'eventsource-parser';
let json = false;
for (let i = 0; i < args.length; ++i) {
  const positiveInt = (name) => {
    const n = Number(args[++i]);
    if (!Number.isInteger(n) || n < 0) usage(`${name} takes a non-negative integer`);
    return n;
  };
  switch (args[i]) {
    case '--runs': runs = positiveInt('--runs'); break;
    case '--warmup': warmup = positiveInt('--warmup'); break;
    case '--package': pkg = args[++i] ?? usage('--package takes a name'); break;
    case '--json': json = true; break;
    default:
      if (args[i].startsWith('-') || dir !== undefined) usage(`unexpected argument: ${args[i]}`);
      dir = args[i];
  }
}
if (dir === undefined) usage('CORPUS_DIR is required');
if (runs < 1) usage('--runs must be at least 1');
if (!['eventsource-parser', 'eventsource-parser-3'].includes(pkg)) usage(`unknown package: ${pkg}`);

const { createParser } = await import(pkg);
const version = JSON.parse(
  readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const chunkBytes = manifest.chunk_bytes;

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// One parse of the whole corpus. `chunks` are strings (parse only) or byte views (decode + parse).
function parseOnce(chunks, decode) {
  let events = 0;
  let units = 0;
  const parser = createParser({
    onEvent(event) {
      events += 1;
      units += event.data.length;
    },
  });
  if (decode) {
    const decoder = new TextDecoder('utf-8');
    for (const bytes of chunks) parser.feed(decoder.decode(bytes, { stream: true }));
    const rest = decoder.decode();
    if (rest !== '') parser.feed(rest);
  } else {
    for (const text of chunks) parser.feed(text);
  }
  parser.reset({ consume: true });
  return { events, units };
}

function measure(corpus, chunks, decode) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < warmup + runs; ++i) {
    const w0 = performance.now();
    const c0 = cpuMicros();
    const got = parseOnce(chunks, decode);
    const c1 = cpuMicros();
    const w1 = performance.now();
    if (got.events !== corpus.events || got.units !== corpus.data_utf16_units) {
      console.error(`parser_bench.mjs: error: ${corpus.name}: ${pkg} saw ${got.events} events and ` +
        `${got.units} data code units; the corpus has ${corpus.events} and ${corpus.data_utf16_units}`);
      process.exit(1);
    }
    if (i >= warmup) {
      wall.push((w1 - w0) / 1e3);
      cpu.push((c1 - c0) / 1e6);
    }
  }
  const rate = (seconds) => ({
    seconds,
    bytes_per_second: corpus.bytes / seconds,
    events_per_second: corpus.events / seconds,
  });
  return { wall: rate(median(wall)), cpu: rate(median(cpu)) };
}

const results = [];
for (const corpus of manifest.corpora) {
  const bytes = readFileSync(join(dir, corpus.file));
  if (bytes.length !== corpus.bytes) {
    console.error(`parser_bench.mjs: error: ${corpus.file} is ${bytes.length} bytes, manifest says ${corpus.bytes}`);
    process.exit(1);
  }
  const byteChunks = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) byteChunks.push(bytes.subarray(at, at + chunkBytes));
  const decoder = new TextDecoder('utf-8');
  const textChunks = byteChunks.map((b) => decoder.decode(b, { stream: true }));
  results.push({
    name: corpus.name,
    bytes: corpus.bytes,
    events: corpus.events,
    decode_and_parse: measure(corpus, byteChunks, true),
    parse_only: measure(corpus, textChunks, false),
  });
}

if (json) {
  console.log(JSON.stringify({ package: 'eventsource-parser', version, node: process.version, runs, results }, null, 2));
} else {
  const mb = (r) => (r.bytes_per_second / 1e6).toFixed(0).padStart(8);
  const ev = (r) => (r.events_per_second / 1e6).toFixed(2).padStart(9);
  console.log(`eventsource-parser ${version} on Node ${process.version}: median of ${runs} runs, ` +
    `${chunkBytes / 1024} KiB chunks; MB = 1e6 bytes; CPU time`);
  console.log('corpus         decode+parse MB/s  Mevents/s   parse-only MB/s  Mevents/s');
  for (const r of results) {
    console.log(`${r.name.padEnd(14)} ${mb(r.decode_and_parse.cpu)}          ${ev(r.decode_and_parse.cpu)}   ` +
      `${mb(r.parse_only.cpu)}         ${ev(r.parse_only.cpu)}`);
  }
}
