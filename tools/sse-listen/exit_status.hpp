// Every exit status of sse-listen, in one place; man/sse-listen.1.scd lists the same table.
#ifndef SSE_LISTEN_EXIT_STATUS_HPP
#define SSE_LISTEN_EXIT_STATUS_HPP

namespace sse::listen {

enum class exit_status : int {
  ok = 0,           // done: --count reached, a sentinel seen, 204, the stream ended without reconnecting,
                    // or stdout was closed by the reader (a broken pipe is not an error)
  protocol = 1,     // HTTP or protocol failure: bad status, bad Content-Type, an event too large
  usage = 2,        // command-line usage error
  network = 3,      // connect, DNS, TLS or transfer error when no more reconnects are allowed
  truncated = 4,    // the stream ended without the --until-data / --until-event sentinel
  local_io = 5,     // cannot read --input or -d @file, or cannot write stdout
  timeout = 124,    // --timeout passed (as timeout(1))
  interrupted = 130 // SIGINT (the signal is re-raised, so the shell sees it as such)
};

}  // namespace sse::listen

#endif
