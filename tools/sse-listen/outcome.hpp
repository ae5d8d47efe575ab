// What happens after a connection (or the reading of a captured stream) ends: reconnect, or exit
// with which status and which lines on stderr. A pure function of how it ended, so every path
// through a run's end is one row of a table test (tests/tools/sse-listen/outcome_test.cpp).
#ifndef SSE_LISTEN_OUTCOME_HPP
#define SSE_LISTEN_OUTCOME_HPP

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exit_status.hpp"
#include "options.hpp"
#include "reconnect_policy.hpp"
#include "stream_consumer.hpp"

namespace sse::listen {

// How a transfer, or the reading of stdin or --input, ended.
enum class ending {
  finished,          // libcurl says the transfer is over (result says how), or the input's end
  consumer_stopped,  // the consumer stopped: --count, a sentinel, stdout gone, an event too large
  idle,              // --idle-timeout passed without a byte
  timeout,           // --timeout passed
  interrupted,       // SIGINT or SIGTERM
};

// What came of the response.
enum class answer {
  none,      // no final response yet: the connection failed or is still waiting
  accepted,  // 200 with text/event-stream: the stream was read
  rejected,  // another status (204 included) or Content-Type
};

struct transfer_outcome {
  ending how = ending::finished;
  bool local = false;  // stdin or --input: nothing to reconnect to
  std::string where;   // the URL, or the input's name, for messages

  answer response = answer::none;
  long status = 0;            // the HTTP status of a rejected response
  std::string rejection;      // why it was rejected: "server answered HTTP/1.1 404 Not Found (URL)"
  std::string rejected_body;  // its first bytes, shown after the error
  bool rejected_body_cut = false;
  CURLcode result = CURLE_OK;  // libcurl's result, when how == finished
  std::string curl_error;      // libcurl's words for it

  consume_state consumed = consume_state::go_on;  // when how == consumer_stopped
  std::string consumer_error;                     // the consumer's message for it
  std::uint64_t bytes = 0;                        // body bytes of an accepted stream
  std::size_t discarded = 0;  // bytes of an unterminated event dropped at the end
  std::string sentinel;       // "--until-event" or "--until-data" when one was asked for, else ""
  double idle_timeout = 0;    // seconds, for messages

  // What the reconnect policy says, for an ending that may reconnect.
  reconnect_decision decision;
};

struct message {
  enum class kind {
    error,    // "sse-listen: error: …"
    warning,  // "sse-listen: warning: …"
    verbose,  // "sse-listen: …", only with -v
    body,     // bytes for stderr as they are (a rejected response's body)
  };
  kind what;
  std::string text;

  friend bool operator==(message const& a, message const& b) {
    return a.what == b.what && a.text == b.text;
  }
};

struct next_step {
  bool reconnect = false;                // wait until decision.at, then connect again
  exit_status status = exit_status::ok;  // when not reconnecting
  std::vector<message> messages;         // in order
};

next_step decide(transfer_outcome const& o);

// Writes the step's messages to stderr; verbose ones only when verbose > 0.
void report(next_step const& step, int verbose);

// The sentinel option o asks for ("--until-event", "--until-data"), or "".
std::string sentinel_option(options const& o);

// 250 as "250 ms", 3000 as "3.0 s".
std::string format_delay(milliseconds ms);

}  // namespace sse::listen

#endif
