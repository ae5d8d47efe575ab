#include "outcome.hpp"

#include <cstdio>

#include "common/diagnostics.hpp"
#include "common/write_all.hpp"

namespace sse::listen {
namespace {

// 0.3 as "0.3", not "0.300000".
std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Retrying cannot help: the URL, the protocol or the local TLS files are wrong.
bool is_permanent(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_TOO_MANY_REDIRECTS:
      return true;
    default:
      return false;
  }
}

exit_status permanent_status(CURLcode code) {
  if (code == CURLE_URL_MALFORMAT) return exit_status::usage;
  if (code == CURLE_TOO_MANY_REDIRECTS) return exit_status::protocol;
  return exit_status::network;
}

struct step_builder {
  next_step step;
  step_builder& say(message::kind what, std::string text) {
    step.messages.push_back({what, std::move(text)});
    return *this;
  }
  next_step exit(exit_status s) {
    step.status = s;
    return std::move(step);
  }
};

next_step consumer_stopped(transfer_outcome const& o) {
  step_builder b;
  switch (o.consumed) {
    case consume_state::too_large:
      return b.say(message::kind::error, o.consumer_error + " (" + o.where + ")")
          .exit(exit_status::protocol);
    case consume_state::output_error:
      return b.say(message::kind::error, o.consumer_error).exit(exit_status::local_io);
    case consume_state::go_on:
    case consume_state::done:
    case consume_state::output_closed:
      break;
  }
  return b.exit(exit_status::ok);
}

next_step rejected(transfer_outcome const& o) {
  step_builder b;
  if (o.status == 204) {
    return b.say(message::kind::verbose, "HTTP 204: the server asks not to reconnect")
        .exit(exit_status::ok);
  }
  b.say(message::kind::error, o.rejection);
  if (!o.rejected_body.empty()) {
    std::string body = o.rejected_body;
    if (o.rejected_body_cut) body.append("\n[…]");
    if (body.back() != '\n') body.push_back('\n');
    b.say(message::kind::body, std::move(body));
  }
  return b.exit(exit_status::protocol);
}

// The stream ended, broke or went silent, or no stream came at all: reconnect if the policy says
// so, else end as the last connection did.
next_step disconnected(transfer_outcome const& o) {
  step_builder b;
  bool const streamed = o.local || o.response == answer::accepted;
  bool const idle = o.how == ending::idle;
  bool const failed = o.how == ending::finished && o.result != CURLE_OK;

  // Only a clean end of the body (a close-delimited body's close, a chunked body's last chunk)
  // ends a stream. A body cut short (a chunk or Content-Length left unfinished: the server died)
  // or a silence past --idle-timeout is a dropped connection, a network failure when no
  // reconnection follows.
  std::string cut;
  std::string no_stream;  // why no stream came
  if (streamed && idle) {
    cut = "no data for " + format_seconds(o.idle_timeout) + " s: the connection was dropped";
  } else if (streamed && failed) {
    cut = "the stream was cut: " + o.curl_error;
  } else if (!streamed) {
    no_stream = idle ? "no response within --idle-timeout (" + o.where + ")"
                     : o.curl_error + " (" + o.where + ")";
  }

  if (o.local) {
    b.say(message::kind::verbose, "end of " + o.where);
  } else if (streamed) {
    std::string what =
        idle ? "no data for " + format_seconds(o.idle_timeout) + " s: dropping the connection"
        : !cut.empty() ? cut
                       : "the stream ended";
    b.say(message::kind::verbose, what + " after " + std::to_string(o.bytes) + " bytes");
  }
  if (streamed && o.discarded > 0) {
    b.say(message::kind::verbose,
          "discarded " + std::to_string(o.discarded) + " bytes of an unterminated event");
  }

  if (!streamed && failed && is_permanent(o.result)) {
    return b.say(message::kind::error, no_stream).exit(permanent_status(o.result));
  }
  if (o.local || !o.decision.reconnect) {
    if (!streamed) return b.say(message::kind::error, no_stream).exit(exit_status::network);
    if (!cut.empty()) {
      return b.say(message::kind::error, cut + " (" + o.where + ")").exit(exit_status::network);
    }
    if (!o.sentinel.empty()) {
      return b
          .say(message::kind::error,
               "the stream ended before its " + o.sentinel + " sentinel (truncated)")
          .exit(exit_status::truncated);
    }
    return b.exit(exit_status::ok);
  }
  if (!streamed) {
    b.say(message::kind::warning, no_stream + "; retrying in " + format_delay(o.decision.delay));
  } else {
    b.say(message::kind::verbose, "reconnecting in " + format_delay(o.decision.delay));
  }
  b.step.reconnect = true;
  return std::move(b.step);
}

}  // namespace

next_step decide(transfer_outcome const& o) {
  switch (o.how) {
    case ending::consumer_stopped:
      return consumer_stopped(o);
    case ending::timeout:
      return step_builder{}
          .say(message::kind::verbose, "--timeout reached")
          .exit(exit_status::timeout);
    case ending::interrupted:
      return step_builder{}.exit(exit_status::interrupted);
    case ending::finished:
      if (o.response == answer::rejected) return rejected(o);
      return disconnected(o);
    case ending::idle:
      return disconnected(o);
  }
  return step_builder{}.exit(exit_status::ok);
}

void report(next_step const& step, int verbose) {
  for (auto const& m : step.messages) {
    switch (m.what) {
      case message::kind::error:
        tools::error(m.text);
        break;
      case message::kind::warning:
        tools::warning(m.text);
        break;
      case message::kind::verbose:
        if (verbose > 0) tools::info(m.text);
        break;
      case message::kind::body:
        tools::write_all(2, m.text);
        break;
    }
  }
}

std::string sentinel_option(options const& o) {
  if (o.until_event) return "--until-event";
  if (o.until_data) return "--until-data";
  return {};
}

std::string format_delay(milliseconds ms) {
  auto n = ms.count();
  if (n < 1000) return std::to_string(n) + " ms";
  return std::to_string(n / 1000) + "." + std::to_string((n % 1000) / 100) + " s";
}

}  // namespace sse::listen
