// Every exit status of sse-listen, in one place: the enum, what each means (the --help footer is
// made from it), and the list of all of them (tests check man/sse-listen.1.scd's EXIT STATUS
// against it). Adding an enumerator without a meaning fails to compile (-Wswitch), and one with a
// meaning but missing from the list fails the static_assert below.
#ifndef SSE_LISTEN_EXIT_STATUS_HPP
#define SSE_LISTEN_EXIT_STATUS_HPP

#include <csignal>
#include <cstddef>
#include <iterator>
#include <string>

#include "common/exit_status.hpp"

namespace sse::listen {

enum class exit_status : int {
  // Done: --count reached, a sentinel seen, 204, the stream ended without reconnecting, or stdout
  // was closed by its reader (a broken pipe is not an error).
  ok = tools::exit_ok,
  // HTTP or protocol failure: bad status, bad Content-Type, an event too large.
  protocol = 1,
  // Command-line usage error.
  usage = tools::exit_usage,
  // Connect, DNS, TLS or transfer error when no more reconnects are allowed.
  network = 3,
  // The stream ended without the --until-data / --until-event sentinel.
  truncated = 4,
  // Cannot read --input or -d @file, or cannot write stdout.
  local_io = 5,
  // --timeout passed (as timeout(1)).
  timeout = 124,
  // SIGINT: the signal is re-raised, so the shell sees it as such; this is what it shows.
  interrupted = tools::exit_signal(SIGINT),
};

// What a status means, in the few words of the --help footer; nullptr for a value that is not
// an exit_status.
constexpr char const* meaning(exit_status s) noexcept {
  switch (s) {
    case exit_status::ok:
      return "done";
    case exit_status::protocol:
      return "HTTP/protocol failure";
    case exit_status::usage:
      return "usage";
    case exit_status::network:
      return "network failure";
    case exit_status::truncated:
      return "stream ended without its --until sentinel";
    case exit_status::local_io:
      return "local I/O error";
    case exit_status::timeout:
      return "--timeout";
    case exit_status::interrupted:
      return "interrupted";
  }
  return nullptr;
}

// Every status, in increasing order.
inline constexpr exit_status all_exit_statuses[] = {
    exit_status::ok,        exit_status::protocol, exit_status::usage,   exit_status::network,
    exit_status::truncated, exit_status::local_io, exit_status::timeout, exit_status::interrupted,
};

namespace detail {
constexpr bool lists_every_status() {
  int previous = -1;
  for (exit_status s : all_exit_statuses) {
    if (static_cast<int>(s) <= previous) return false;  // in order, each once
    if (meaning(s) == nullptr) return false;            // an enumerator
    previous = static_cast<int>(s);
  }
  std::size_t with_meaning = 0;
  for (int i = 0; i < 256; ++i) {
    if (meaning(static_cast<exit_status>(i)) != nullptr) ++with_meaning;
  }
  return with_meaning == std::size(all_exit_statuses);
}
}  // namespace detail
static_assert(detail::lists_every_status(),
              "all_exit_statuses must list every exit_status once, in order");

// "Exit status: 0 done, 1 HTTP/protocol failure, …", wrapped for --help.
std::string exit_status_help();

}  // namespace sse::listen

#endif
