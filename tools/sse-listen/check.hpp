// sse-listen --check: an SSE doctor. It watches one endpoint for --check-time (one stream, then a
// reconnection with Last-Event-ID when the events carry ids, and a CORS preflight when one is
// useful), records what arrived and when, and then judges. The judging is a pure function of the
// observations (judge), so every verdict has a unit test without a network; the measuring
// (run_check) reuses transfer.hpp's libcurl setup.
#ifndef SSE_LISTEN_CHECK_HPP
#define SSE_LISTEN_CHECK_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exit_status.hpp"
#include "options.hpp"

namespace sse::listen {

// One read of the body: when (seconds since the request was sent), how many bytes, and how many
// events and comments it completed.
struct arrival {
  double at = 0;
  std::size_t bytes = 0;
  std::size_t events = 0;
  std::size_t comments = 0;
};

struct seen_event {
  double at = 0;
  std::string id;  // the event's own id field; empty when it had none
};

// What one request showed.
struct response_observation {
  bool responded = false;  // a final response head arrived
  std::string error;       // libcurl's words, when the transfer failed (not stopped by us)
  long status = 0;
  std::string http_version;                                  // "1.0", "1.1", "2", "3"
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response
  double head_at = 0;                                        // when its head was complete
  std::vector<arrival> arrivals;
  std::vector<seen_event> events;
  std::optional<std::uint64_t> retry;  // the first retry: field
  double observed = 0;                 // seconds from the request to the end of watching
  bool ended = false;                  // the server ended the response while it was watched

  // The first value of header name (case-insensitive), or nullptr.
  std::string const* header(std::string_view name) const;
};

struct observations {
  std::string url;
  double check_time = 30;
  std::string origin;  // --origin; empty: CORS not checked
  response_observation stream;
  // The reconnection with Last-Event-ID: resume_after (an id the stream sent) and what came.
  std::string resume_after;
  std::optional<response_observation> resumed;
  double resume_wait = 0;  // how long the reconnection waited for its first event
  // The OPTIONS preflight, when the request is one a browser preflights.
  std::string preflight_method;                // the method it asked for
  std::vector<std::string> preflight_headers;  // the non-safelisted headers it asked for
  std::optional<response_observation> preflight;
};

enum class check_verdict { pass, warn, fail, not_applicable };

struct check_result {
  std::string name;  // "status", "content-type", …
  check_verdict v = check_verdict::pass;
  std::string detail;  // what was seen
  std::string fix;     // what to change; empty when nothing
};

// The checks, in the order they are printed.
std::vector<check_result> judge(observations const& obs);

// The bursts the body arrived in: reads closer together than burst_gap_s are one burst.
inline constexpr double burst_gap_s = 0.010;
// A burst of this many events and comments, after the first, is a lump some buffer released.
inline constexpr std::size_t lump_items = 8;
// A head later than this after the request, with a lump behind it, was held by a buffer too.
inline constexpr double late_head_s = 1.0;

// The report: a line per check ("✔ name: detail" and, indented, "fix: …"), then a summary.
std::string format_report(std::vector<check_result> const& checks, std::string const& url);
// The same as one JSON object: {"url":…,"checks":[{"name","verdict","detail","fix"}…],
// "summary":{"pass":N,"warn":N,"fail":N,"n/a":N}}.
std::string format_report_json(std::vector<check_result> const& checks, std::string const& url);
char const* verdict_name(check_verdict v);  // "pass", "warn", "fail", "n/a"

// Runs the doctor against o.urls[0]; the report goes to stdout. ok without failures, protocol
// with one; interrupted on SIGINT, local_io when stdout cannot be written.
exit_status run_check(options const& o, std::optional<std::string> const& body);

}  // namespace sse::listen

#endif
