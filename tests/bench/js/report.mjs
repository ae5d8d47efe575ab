// Prints scripts/bench.sh's tables from the runs it made: Google Benchmark's JSON for parser_bench
// (repetitions with aggregates) and parser_bench.mjs --json for each eventsource-parser version.
//
//   node report.mjs GBENCH_JSON PEER_JSON [OLDER_PEER_JSON]
//
// Every figure is a median and uses CPU time on both sides; MB = 1e6 bytes. Exit status 1 when an
// input is missing a figure the tables need (a run that failed), 0 otherwise: missed targets are
// reported in the table, not in the exit status.
import { readFileSync } from 'node:fs';

const [gbenchPath, peerPath, olderPath] = process.argv.slice(2);
if (!gbenchPath || !peerPath) {
  console.error('usage: node report.mjs GBENCH_JSON PEER_JSON [OLDER_PEER_JSON]');
  process.exit(2);
}
const fail = (message) => {
  console.error(`report.mjs: error: ${message}`);
  process.exit(1);
};

const gbench = JSON.parse(readFileSync(gbenchPath, 'utf8'));
const peer = JSON.parse(readFileSync(peerPath, 'utf8'));
const older = olderPath ? JSON.parse(readFileSync(olderPath, 'utf8')) : undefined;

// The median aggregate of one benchmark (or its only run, when there were no repetitions).
function ours(name) {
  const runs = gbench.benchmarks.filter((b) => b.run_name === name);
  if (runs.some((b) => b.error_occurred)) fail(`${name} reported an error`);
  const run = runs.find((b) => b.aggregate_name === 'median') ??
    (runs.length === 1 && runs[0].run_type === 'iteration' ? runs[0] : undefined);
  if (!run || !(run.bytes_per_second > 0)) fail(`no median for ${name} in ${gbenchPath}`);
  // Google Benchmark computes rates from CPU time; the wall-clock rate scales by the two medians.
  const wallMbps = run.bytes_per_second * (run.cpu_time / run.real_time) / 1e6;
  return { mbps: run.bytes_per_second / 1e6, events: run.events, wallMbps };
}
function theirs(report, corpus, mode = 'decode_and_parse') {
  const r = report.results.find((x) => x.name === corpus);
  if (!r) fail(`no ${corpus} result in the eventsource-parser ${report.version} run`);
  return {
    mbps: r[mode].cpu.bytes_per_second / 1e6,
    events: r[mode].cpu.events_per_second,
    wallMbps: r[mode].wall.bytes_per_second / 1e6,
  };
}

// The issue's targets: at least 3x eventsource-parser on every corpus, and these absolute floors.
const floorMBps = { tiny: 1000, typical: 1300, large: 3000 };
const fmt = (x, digits = 0) => x.toFixed(digits);
const pad = (s, n) => String(s).padStart(n);
// A rate with an SI prefix: 104.9M, 62.1k.
const si = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

const corpora = peer.results.map((r) => r.name);
const host = gbench.context ?? {};
console.log(`libsse parser vs eventsource-parser ${peer.version} (Node ${peer.node}); ` +
  `${host.num_cpus ?? '?'} CPUs at ${host.mhz_per_cpu ?? '?'} MHz`);
console.log('Medians, CPU time, 64 KiB chunks on both sides (eventsource-parser: TextDecoder ' +
  'stream mode + feed, as its users feed it); MB = 1e6 bytes.');
console.log();
console.log(`${'corpus'.padEnd(14)}${pad('ours MB/s', 11)}${pad('eventsource-parser MB/s', 25)}` +
  `${pad('ratio', 8)}${pad('memchr MB/s', 13)}   targets`);
let missed = 0;
for (const corpus of corpora) {
  const o = ours(`parse/${corpus}/64KiB`);
  const t = theirs(peer, corpus);
  const m = ours(`memchr/${corpus}`);
  const ratio = o.mbps / t.mbps;
  const notes = [`>=3x: ${ratio >= 3 ? 'met' : 'MISSED'}`];
  if (ratio < 3) ++missed;
  if (floorMBps[corpus] !== undefined) {
    const met = o.mbps >= floorMBps[corpus];
    if (!met) ++missed;
    notes.push(`>=${floorMBps[corpus]} MB/s: ${met ? 'met' : 'MISSED'}`);
  }
  console.log(`${corpus.padEnd(14)}${pad(fmt(o.mbps), 11)}${pad(fmt(t.mbps), 25)}` +
    `${pad(fmt(ratio, 1) + 'x', 8)}${pad(fmt(m.mbps), 13)}   ${notes.join(', ')}`);
}
console.log(missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`);

console.log();
console.log('More of the same runs:');
const olderHead = older ? pad(`esp ${older.version} MB/s`, 17) : '';
console.log(`${'corpus'.padEnd(14)}${pad('ours ev/s', 11)}${pad('esp ev/s', 11)}` +
  `${pad('ours whole', 12)}${pad('esp parse-only', 16)}${olderHead}${pad('memcpy MB/s', 13)}${pad('wall ratio', 12)}`);
for (const corpus of corpora) {
  const o = ours(`parse/${corpus}/64KiB`);
  const t = theirs(peer, corpus);
  const whole = ours(`parse/${corpus}/whole`);
  const parseOnly = theirs(peer, corpus, 'parse_only');
  const old = older ? pad(fmt(theirs(older, corpus).mbps), 17) : '';
  console.log(`${corpus.padEnd(14)}${pad(si(o.events), 11)}${pad(si(t.events), 11)}` +
    `${pad(fmt(whole.mbps), 12)}${pad(fmt(parseOnly.mbps), 16)}${old}${pad(fmt(ours(`memcpy/${corpus}`).mbps), 13)}` +
    `${pad(fmt(o.wallMbps / t.wallMbps, 1) + 'x', 12)}`);
}
console.log('(esp = eventsource-parser; "ours whole" feeds the corpus in one call; "esp parse-only" ' +
  'feeds strings decoded before timing;');
console.log(' "wall ratio" is ours/esp by wall-clock time, which other load on the machine disturbs more.)');

console.log();
console.log(`${'encoder'.padEnd(14)}${pad('MB/s out', 11)}${pad('events/s', 11)}`);
for (const corpus of ['tiny', 'typical', 'large']) {
  const e = ours(`encode/${corpus}`);
  console.log(`${corpus.padEnd(14)}${pad(fmt(e.mbps), 11)}${pad(si(e.events), 11)}`);
}
