// The npm `eventsource` side of the consumption benchmark: what a Node user would pick to read a
// stream. Counts every event of the types blast_server's corpora use (an EventSource user listens
// per type), and when the server closes the stream, stops the client's reconnect and prints one
// JSON line:
//   {"events": N, "seconds": S}
// Exit status 1 when the first connection fails (nothing was measured).
//
//   node consume.mjs URL
import { EventSource } from 'eventsource';

const url = process.argv[2];
if (!url) {
  console.error('usage: node consume.mjs URL');
  process.exit(2);
}

const started = process.hrtime.bigint();
let events = 0;
let opened = false;
const count = () => { events += 1; };

const es = new EventSource(url);
es.addEventListener('open', () => { opened = true; });
const types = [
  'message', 'update', 'create', 'delete',  // tiny, typical, large, feed, openai
  'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop',
  'message_delta', 'message_stop',  // anthropic
];
for (const type of types) es.addEventListener(type, count);
es.addEventListener('error', (error) => {
  // After the stream ends the client reports an error and schedules a reconnect: the end of the
  // measurement. Before it ever opened, the error is the connection's own.
  es.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!opened) {
    console.error(`consume.mjs: error: ${url}: ${error.message ?? 'connection failed'}`);
    process.exit(1);
  }
  console.log(JSON.stringify({ events, seconds }));
  // eventsource 4.1.1 arms its reconnect timer after dispatching this event, so close() here cannot
  // clear it and the process would linger for the 3 s reconnection time; the measurement is over.
  process.exit(0);
});
