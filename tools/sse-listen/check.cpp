#include "check.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sse/parser.hpp>

#include "common/diagnostics.hpp"
#include "common/header.hpp"
#include "common/json_writer.hpp"
#include "common/signals.hpp"
#include "common/write_all.hpp"
#include "transfer.hpp"

namespace sse::listen {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The comma-separated elements of a header value, trimmed and lowercased.
std::vector<std::string> tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    auto comma = value.find(',');
    auto item = tools::trim_header_line(value.substr(0, comma));
    if (!item.empty()) out.push_back(lowercase(item));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

bool has_token(std::vector<std::string> const& list, std::string_view token) {
  return std::find(list.begin(), list.end(), token) != list.end();
}

// "0.25 s", "12 ms", "31 s": as precise as the figure deserves.
std::string seconds(double s) {
  char buf[32];
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000);
  } else if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  }
  return buf;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? one : many);
}

// A burst: reads closer together than burst_gap_s.
struct burst {
  double start = 0;
  double gap_before = 0;  // since the previous burst (or the head)
  std::size_t items = 0;  // events and comments
};

std::vector<burst> bursts_of(response_observation const& r) {
  std::vector<burst> out;
  double last = r.head_at;
  for (auto const& a : r.arrivals) {
    if (out.empty() || a.at - last >= burst_gap_s) out.push_back({a.at, a.at - last, 0});
    out.back().items += a.events + a.comments;
    last = a.at;
  }
  return out;
}

// The proxies and CDNs the response names, for the buffering and proxy checks.
struct proxy_hints {
  std::vector<std::string> named;  // "Via: 1.1 varnish", "CF-Ray (Cloudflare)", "Server: nginx"
  bool nginx = false;
  bool cloudflare = false;
  std::string accel_buffering;  // X-Accel-Buffering as received
};

proxy_hints hints_of(response_observation const& r) {
  proxy_hints h;
  if (auto const* via = r.header("Via")) h.named.push_back("Via: " + *via);
  if (r.header("CF-Ray") != nullptr) {
    h.named.push_back("CF-Ray (Cloudflare)");
    h.cloudflare = true;
  }
  if (auto const* server = r.header("Server")) {
    std::string s = lowercase(*server);
    for (char const* proxy :
         {"nginx", "openresty", "cloudflare", "envoy", "apache", "haproxy", "varnish", "caddy",
          "traefik", "awselb", "akamai", "google frontend", "litespeed", "iis"}) {
      if (s.find(proxy) != std::string::npos) {
        h.named.push_back("Server: " + *server);
        break;
      }
    }
    h.nginx = s.find("nginx") != std::string::npos || s.find("openresty") != std::string::npos;
    h.cloudflare = h.cloudflare || s.find("cloudflare") != std::string::npos;
  }
  if (auto const* xab = r.header("X-Accel-Buffering")) h.accel_buffering = *xab;
  return h;
}

std::string joined(std::vector<std::string> const& parts, std::string_view sep = ", ") {
  std::string out;
  for (auto const& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string buffering_fix(proxy_hints const& h) {
  if (h.nginx) {
    return "nginx buffers proxied responses: send `X-Accel-Buffering: no` from the server, or set "
           "`proxy_buffering off` for this location";
  }
  if (h.cloudflare) {
    return "send `Cache-Control: no-cache, no-transform` and `Content-Type: text/event-stream` so "
           "Cloudflare streams the response; flush after each event";
  }
  return "turn off response buffering between server and client (nginx: `X-Accel-Buffering: no` "
         "or `proxy_buffering off`; Apache: `flushpackets=on`), and flush after each event";
}

bool good_stream(response_observation const& r) {
  auto const* type = r.header("Content-Type");
  return r.responded && r.status == 200 && type != nullptr && is_event_stream_type(*type);
}

check_result not_applicable(std::string name, std::string why) {
  return {std::move(name), check_verdict::not_applicable, std::move(why), {}};
}

check_result check_status(observations const& obs) {
  auto const& r = obs.stream;
  if (!r.responded) {
    if (!r.error.empty()) {
      return {"status", check_verdict::fail, "no response: " + r.error,
              "check the URL, the network and any proxy"};
    }
    return {"status", check_verdict::fail,
            "no response head in the " + seconds(r.observed) + " watched",
            "send the response head at once, before the first event (a proxy that buffers the "
            "whole response holds the head too: " +
                buffering_fix({}) + ")"};
  }
  std::string line = "HTTP " + std::to_string(r.status);
  if (r.head_at >= late_head_s)
    line += " (the head came " + seconds(r.head_at) + " after the request)";
  if (r.status == 200) return {"status", check_verdict::pass, line, {}};
  if (r.status == 204) {
    return {"status", check_verdict::fail, line + ": EventSource stops for good on 204",
            "answer 200 while there is a stream to follow"};
  }
  return {"status", check_verdict::fail,
          line + ": EventSource fails the connection on any status but 200",
          "answer 200 with the event stream"};
}

check_result check_content_type(observations const& obs) {
  auto const& r = obs.stream;
  if (!r.responded) return not_applicable("content-type", "no response");
  auto const* type = r.header("Content-Type");
  std::string const fix = "send `Content-Type: text/event-stream`";
  if (type == nullptr) {
    return {"content-type", check_verdict::fail,
            "no Content-Type: EventSource fails the connection", fix};
  }
  if (!is_event_stream_type(*type)) {
    return {"content-type", check_verdict::fail,
            "'" + *type + "', not text/event-stream: EventSource fails the connection", fix};
  }
  // Parameters: only charset matters, and an event stream is always UTF-8.
  std::string params = lowercase(*type);
  auto at = params.find("charset=");
  if (at != std::string::npos) {
    std::string charset(
        tools::trim_header_line(params.substr(at + 8, params.find(';', at) - at - 8)));
    if (!charset.empty() && charset.front() == '"') charset = charset.substr(1, charset.size() - 2);
    if (charset != "utf-8") {
      return {"content-type", check_verdict::warn,
              "'" + *type + "': event streams are always decoded as UTF-8, whatever the charset",
              "send UTF-8 and `charset=utf-8` (or no charset)"};
    }
  }
  return {"content-type", check_verdict::pass, *type, {}};
}

check_result check_cache_control(observations const& obs) {
  auto const& r = obs.stream;
  if (!r.responded) return not_applicable("cache-control", "no response");
  std::string const fix = "send `Cache-Control: no-cache, no-transform`";
  auto const* cc = r.header("Cache-Control");
  if (cc == nullptr) {
    return {"cache-control", check_verdict::warn,
            "none: a cache may keep the stream, and a proxy may compress or buffer it", fix};
  }
  auto list = tokens(*cc);
  bool const no_cache = has_token(list, "no-cache") || has_token(list, "no-store");
  bool const no_transform = has_token(list, "no-transform");
  if (no_cache && no_transform) return {"cache-control", check_verdict::pass, *cc, {}};
  if (!no_cache) {
    return {"cache-control", check_verdict::warn,
            "'" + *cc + "' has no no-cache: a cache between may serve a stale copy", fix};
  }
  return {"cache-control", check_verdict::warn,
          "'" + *cc + "' has no no-transform: a proxy may compress the stream, and so buffer it",
          "add no-transform: `Cache-Control: no-cache, no-transform`"};
}

check_result check_content_encoding(observations const& obs) {
  auto const& r = obs.stream;
  if (!r.responded) return not_applicable("content-encoding", "no response");
  auto const* ce = r.header("Content-Encoding");
  if (ce == nullptr || tools::iequals(tools::trim_header_line(*ce), "identity")) {
    return {"content-encoding", check_verdict::pass, "none", {}};
  }
  auto h = hints_of(r);
  std::string fix = h.nginx ? "leave text/event-stream out of nginx's `gzip_types` (or `gzip off` "
                              "for this location), and send `Cache-Control: no-transform`"
                            : "do not compress text/event-stream (exclude it from the compression "
                              "middleware or proxy), and send `Cache-Control: no-transform`";
  return {"content-encoding", check_verdict::fail,
          *ce + ": a compressor holds events until its buffer fills or it is flushed", fix};
}

check_result check_buffering(observations const& obs) {
  auto const& r = obs.stream;
  if (!good_stream(r)) return not_applicable("buffering", "no event stream to watch");
  auto const h = hints_of(r);
  std::string const behind = h.named.empty() ? "" : " (behind " + joined(h.named) + ")";
  if (r.arrivals.empty()) {
    return {"buffering", check_verdict::not_applicable,
            "nothing arrived in the " + seconds(r.observed - r.head_at) +
                " after the head: a buffer cannot be told from a quiet server" + behind,
            "send a comment (`: ok`) as soon as the stream opens, so clients and this check see "
            "it is live"};
  }
  auto const bursts = bursts_of(r);
  std::size_t items = 0, events = r.events.size(), comments = 0;
  for (auto const& a : r.arrivals) {
    items += a.events + a.comments;
    comments += a.comments;
  }
  double const first_byte = r.arrivals.front().at - r.head_at;
  std::size_t lumps = 0, largest = 0;
  double longest_gap = 0;
  for (std::size_t i = 1; i < bursts.size(); ++i) {
    if (bursts[i].items >= lump_items) ++lumps;
    largest = std::max(largest, bursts[i].items);
    longest_gap = std::max(longest_gap, bursts[i].gap_before);
  }
  std::size_t judged = bursts.size() - 1;
  // A head that came late with a lump of events behind it was held with them.
  bool const late_opening = r.head_at >= late_head_s && bursts.front().items >= lump_items;
  if (late_opening) {
    ++lumps;
    ++judged;
  }
  std::string const counts =
      plural(events, "event", "events") + " and " + plural(comments, "comment", "comments");
  std::string const timing =
      "head " + seconds(r.head_at) + " and first byte " + seconds(first_byte) + " after it";
  if (judged == 0) {
    if (r.ended && items >= lump_items && first_byte >= late_head_s) {
      return {"buffering", check_verdict::fail,
              "all " + counts + " came in one lump as the response ended, " + timing + behind,
              buffering_fix(h)};
    }
    return {"buffering",
            check_verdict::not_applicable,
            "only one burst arrived (" + counts + ", " + timing +
                "): too little to tell a buffer from a quiet server" + behind,
            {}};
  }
  std::string const shape = counts + " in " + plural(bursts.size(), "burst", "bursts") +
                            ", at most " + std::to_string(largest) + " in one after the opening; " +
                            timing + ", longest gap " + seconds(longest_gap);
  std::string const lumped = plural(lumps, "burst", "bursts") + " of " +
                             std::to_string(lump_items) + " or more events within " +
                             seconds(burst_gap_s) + (late_opening ? ", the head's included" : "");
  if (lumps >= 2 && lumps * 2 >= judged) {
    return {"buffering", check_verdict::fail,
            "events arrive in lumps: " + lumped + " (" + shape + ")" + behind, buffering_fix(h)};
  }
  if (lumps >= 1) {
    return {"buffering", check_verdict::warn,
            lumped + " (" + shape +
                "): a buffer, a server that sends in batches, or this client "
                "falling behind" +
                behind,
            buffering_fix(h)};
  }
  return {"buffering", check_verdict::pass, "arrived as sent: " + shape + behind, {}};
}

check_result check_proxy(observations const& obs, check_verdict buffering) {
  auto const& r = obs.stream;
  if (!r.responded) return not_applicable("proxy", "no response");
  auto const h = hints_of(r);
  std::string xab =
      h.accel_buffering.empty() ? "" : "X-Accel-Buffering: " + h.accel_buffering + " reached here";
  if (h.named.empty()) {
    std::string detail = "no proxy or CDN named (no Via, CF-Ray or proxy Server header)";
    if (!xab.empty()) detail += "; " + xab;
    return {"proxy", check_verdict::pass, detail, {}};
  }
  std::string detail = joined(h.named);
  if (!xab.empty()) detail += "; " + xab;
  if (buffering == check_verdict::pass) {
    return {"proxy", check_verdict::pass, detail + "; it passes events as they come", {}};
  }
  return {"proxy", check_verdict::warn, detail + "; it may buffer the stream", buffering_fix(h)};
}

struct idle_limit {
  double seconds;
  char const* who;
};
constexpr idle_limit idle_limits[] = {
    {30, "30 s (common proxy and load balancer idle timeouts)"},
    {60, "60 s (AWS ALB, nginx's proxy_read_timeout)"},
    {100, "100 s (Cloudflare)"},
};

check_result check_keep_alive(observations const& obs) {
  auto const& r = obs.stream;
  if (!good_stream(r)) return not_applicable("keep-alive", "no event stream to watch");
  double const window = std::max(0.0, r.observed - r.head_at);
  std::string const fix = "send a comment line (`: ping`) every 15-25 s while no event is sent";
  std::string const short_window = window < idle_limits[0].seconds
                                       ? " (judged only over the " + seconds(window) +
                                             " watched; idle timeouts start at 30 s: "
                                             "use --check-time 40 or more to see one "
                                             "pass)"
                                       : "";
  if (r.arrivals.empty()) {
    return {"keep-alive", check_verdict::warn,
            "nothing arrived in the whole " + seconds(window) +
                " after the head: no event and no keep-alive comment" + short_window,
            fix};
  }
  double longest = r.arrivals.front().at - r.head_at;
  for (std::size_t i = 1; i < r.arrivals.size(); ++i) {
    longest = std::max(longest, r.arrivals[i].at - r.arrivals[i - 1].at);
  }
  if (!r.ended) longest = std::max(longest, r.observed - r.arrivals.back().at);
  std::size_t comments = 0;
  for (auto const& a : r.arrivals) comments += a.comments;
  std::string detail = "longest silence " + seconds(longest) + " in " + seconds(window) + ", " +
                       plural(comments, "comment", "comments");
  if (r.ended) detail += "; the server ended the stream after " + seconds(window);
  std::vector<std::string> passed;
  for (auto const& l : idle_limits) {
    if (longest >= l.seconds) passed.push_back(l.who);
  }
  if (!passed.empty()) {
    return {"keep-alive", check_verdict::warn,
            detail + ": connections idle that long are closed at " + joined(passed, ", "), fix};
  }
  // Silent from some point to the end of a short window: whether a keep-alive comes before the
  // idle timeouts cannot be told, and the silence is most of what was seen.
  double const tail = r.ended ? 0 : r.observed - r.arrivals.back().at;
  if (window < idle_limits[0].seconds && tail * 2 >= window) {
    return {"keep-alive", check_verdict::warn,
            "nothing arrived in the last " + seconds(tail) + " of the " + seconds(window) +
                " watched (no event, no keep-alive comment)" + short_window,
            fix};
  }
  return {"keep-alive", check_verdict::pass, detail + short_window, {}};
}

check_result check_resume(observations const& obs) {
  auto const& r = obs.stream;
  if (!good_stream(r)) return not_applicable("resume", "no event stream to watch");
  std::vector<std::string> ids;
  for (auto const& e : r.events) {
    if (!e.id.empty()) ids.push_back(e.id);
  }
  if (ids.empty()) {
    return {"resume", check_verdict::not_applicable,
            "no event carried an id, so a reconnection has nothing to resume from",
            "if clients must not miss events, give them ids and replay after Last-Event-ID"};
  }
  if (ids.size() < 2 || !obs.resumed) {
    return not_applicable("resume", "only " + plural(ids.size(), "event", "events") +
                                        " with an id in the window: nothing to resume between");
  }
  auto const& again = *obs.resumed;
  std::string const asked = "reconnected with Last-Event-ID: " + obs.resume_after;
  if (!again.responded || again.status != 200) {
    std::string what = again.responded ? "HTTP " + std::to_string(again.status)
                                       : (again.error.empty() ? "no response" : again.error);
    return {"resume", check_verdict::fail, asked + ", got " + what,
            "answer a reconnection with Last-Event-ID as any other request: 200 and the stream"};
  }
  std::string first;
  for (auto const& e : again.events) {
    if (!e.id.empty()) {
      first = e.id;
      break;
    }
  }
  std::string const fix =
      "keep a history of recent events and send those after the Last-Event-ID first";
  if (first.empty()) {
    return {"resume", check_verdict::warn,
            asked + ": no event with an id came in " + seconds(obs.resume_wait), fix};
  }
  auto const after = std::find(ids.begin(), ids.end(), obs.resume_after);
  auto const got = std::find(ids.begin(), ids.end(), first);
  if (after != ids.end() && after + 1 != ids.end() && *(after + 1) == first) {
    return {"resume",
            check_verdict::pass,
            asked + ": resumed at id " + first + ", no gap and no duplicate",
            {}};
  }
  if (got == ids.begin() && got < after) {
    return {"resume", check_verdict::warn,
            asked + ": restarted from the first event (id " + first + ")", fix};
  }
  if (got != ids.end() && got <= after) {
    return {"resume", check_verdict::warn,
            asked + ": began at id " + first + ", sent before it: " +
                plural(static_cast<std::size_t>(after - got + 1), "duplicate", "duplicates"),
            fix};
  }
  if (got != ids.end()) {
    return {"resume", check_verdict::warn,
            asked + ": began at id " + first + ", " +
                plural(static_cast<std::size_t>(got - after - 1), "event", "events") +
                " after it missed (a gap)",
            fix};
  }
  return {"resume", check_verdict::warn,
          asked + ": began at id " + first +
              ", not one this check saw: the server ignores Last-Event-ID (a gap, or a restart)",
          fix};
}

check_result check_retry(observations const& obs) {
  auto const& r = obs.stream;
  if (!good_stream(r)) return not_applicable("retry", "no event stream to watch");
  if (!r.retry) {
    return {"retry",
            check_verdict::pass,
            "no retry: field; clients reconnect after their own default (browsers: about 3 s)",
            {}};
  }
  std::string const value = "retry: " + std::to_string(*r.retry) + " ms";
  if (*r.retry < 500) {
    return {"retry", check_verdict::warn,
            value + ": after a restart every client comes back within that, all at once",
            "send a retry of 1000 ms or more"};
  }
  if (*r.retry > 300000) {
    return {"retry", check_verdict::warn,
            value + ": clients wait that long after a dropped connection",
            "send a retry of a few seconds"};
  }
  return {"retry", check_verdict::pass, value, {}};
}

check_result check_http_version(observations const& obs) {
  auto const& r = obs.stream;
  if (!r.responded || r.http_version.empty()) return not_applicable("http-version", "no response");
  std::string const v = "HTTP/" + r.http_version;
  if (r.http_version == "2" || r.http_version == "3") {
    return {"http-version", check_verdict::pass, v + ": streams share one connection", {}};
  }
  return {"http-version", check_verdict::warn,
          v + ": browsers open at most 6 connections per host, so a 7th stream (tabs included) "
              "waits",
          "serve it over HTTP/2 (TLS with ALPN h2)"};
}

// CORS for --origin: the stream's own response, the credentials, and the preflight.
void check_cors(observations const& obs, std::vector<check_result>& out) {
  if (obs.origin.empty()) {
    out.push_back(
        not_applicable("cors", "not checked: give --origin ORIGIN, the origin of the page"));
    return;
  }
  auto const& r = obs.stream;
  if (!r.responded) {
    out.push_back(not_applicable("cors", "no response"));
    return;
  }
  auto const* acao = r.header("Access-Control-Allow-Origin");
  auto const* acac = r.header("Access-Control-Allow-Credentials");
  std::string const allow = "`Access-Control-Allow-Origin: " + obs.origin + "`";
  if (acao == nullptr) {
    out.push_back(
        {"cors", check_verdict::fail,
         "no Access-Control-Allow-Origin: a page at " + obs.origin + " cannot read the stream",
         "send " + allow + " (or `*`)"});
  } else if (*acao == "*" || *acao == obs.origin) {
    out.push_back({"cors", check_verdict::pass, "Access-Control-Allow-Origin: " + *acao, {}});
  } else {
    out.push_back({"cors", check_verdict::fail,
                   "Access-Control-Allow-Origin: " + *acao + ", not " + obs.origin,
                   "send " + allow});
  }

  std::string const creds = "EventSource(url, {withCredentials: true}) from " + obs.origin;
  if (acao == nullptr || (*acao != "*" && *acao != obs.origin)) {
    out.push_back(not_applicable("cors-credentials", "the origin is not allowed at all"));
  } else if (*acao == "*") {
    out.push_back({"cors-credentials", check_verdict::warn,
                   creds + " fails: credentials need the origin itself, not *",
                   "echo the origin: " + allow + ", `Access-Control-Allow-Credentials: true`, " +
                       "`Vary: Origin`"});
  } else if (acac == nullptr || *acac != "true") {
    out.push_back({"cors-credentials", check_verdict::warn,
                   creds + " fails: no `Access-Control-Allow-Credentials: true`",
                   "send `Access-Control-Allow-Credentials: true` if pages send cookies"});
  } else {
    out.push_back(
        {"cors-credentials", check_verdict::pass, "Access-Control-Allow-Credentials: true", {}});
  }

  if (obs.preflight_method.empty()) {
    out.push_back(not_applicable("cors-preflight",
                                 "not needed: a " + std::string("GET without custom headers is "
                                                                "not preflighted")));
    return;
  }
  std::string asked = "OPTIONS for " + obs.preflight_method;
  if (!obs.preflight_headers.empty()) asked += " with " + joined(obs.preflight_headers);
  auto const& p = obs.preflight;
  if (!p || !p->responded || p->status < 200 || p->status > 299) {
    std::string got = !p || !p->responded ? "no response" : "HTTP " + std::to_string(p->status);
    out.push_back({"cors-preflight", check_verdict::fail, asked + ": " + got,
                   "answer OPTIONS with 204 and the Access-Control-Allow-* headers"});
    return;
  }
  auto const* pacao = p->header("Access-Control-Allow-Origin");
  if (pacao == nullptr || (*pacao != "*" && *pacao != obs.origin)) {
    out.push_back({"cors-preflight", check_verdict::fail,
                   asked + ": no Access-Control-Allow-Origin for " + obs.origin,
                   "send " + allow + " on the OPTIONS response too"});
    return;
  }
  auto const* acam = p->header("Access-Control-Allow-Methods");
  auto methods = acam != nullptr ? tokens(*acam) : std::vector<std::string>();
  bool const simple = obs.preflight_method == "GET" || obs.preflight_method == "HEAD" ||
                      obs.preflight_method == "POST";
  if (!simple && !has_token(methods, lowercase(obs.preflight_method)) && !has_token(methods, "*")) {
    out.push_back({"cors-preflight", check_verdict::fail,
                   asked + ": Access-Control-Allow-Methods does not allow it",
                   "send `Access-Control-Allow-Methods: " + obs.preflight_method + "`"});
    return;
  }
  auto const* acah = p->header("Access-Control-Allow-Headers");
  auto allowed = acah != nullptr ? tokens(*acah) : std::vector<std::string>();
  std::vector<std::string> missing;
  for (auto const& hname : obs.preflight_headers) {
    if (!has_token(allowed, lowercase(hname)) && !has_token(allowed, "*")) missing.push_back(hname);
  }
  if (!missing.empty()) {
    out.push_back({"cors-preflight", check_verdict::fail,
                   asked + ": Access-Control-Allow-Headers lacks " + joined(missing),
                   "send `Access-Control-Allow-Headers: " + joined(obs.preflight_headers) + "`"});
    return;
  }
  out.push_back({"cors-preflight", check_verdict::pass, asked + ": allowed", {}});
}

}  // namespace

std::string const* response_observation::header(std::string_view name) const {
  for (auto const& [n, v] : headers) {
    if (tools::iequals(n, name)) return &v;
  }
  return nullptr;
}

std::vector<check_result> judge(observations const& obs) {
  std::vector<check_result> out;
  out.push_back(check_status(obs));
  out.push_back(check_content_type(obs));
  out.push_back(check_cache_control(obs));
  out.push_back(check_content_encoding(obs));
  out.push_back(check_buffering(obs));
  out.push_back(check_proxy(obs, out.back().v));
  out.push_back(check_keep_alive(obs));
  out.push_back(check_resume(obs));
  out.push_back(check_retry(obs));
  out.push_back(check_http_version(obs));
  check_cors(obs, out);
  return out;
}

char const* verdict_name(check_verdict v) {
  switch (v) {
    case check_verdict::pass:
      return "pass";
    case check_verdict::warn:
      return "warn";
    case check_verdict::fail:
      return "fail";
    case check_verdict::not_applicable:
      return "n/a";
  }
  return "n/a";
}

namespace {

char const* verdict_mark(check_verdict v) {
  switch (v) {
    case check_verdict::pass:
      return "\u2714";  // ✔
    case check_verdict::warn:
      return "\u26a0";  // ⚠
    case check_verdict::fail:
      return "\u2718";  // ✘
    case check_verdict::not_applicable:
      return "-";
  }
  return "-";
}

struct tally {
  std::size_t pass = 0, warn = 0, fail = 0, na = 0;
};

tally count(std::vector<check_result> const& checks) {
  tally t;
  for (auto const& c : checks) {
    switch (c.v) {
      case check_verdict::pass:
        ++t.pass;
        break;
      case check_verdict::warn:
        ++t.warn;
        break;
      case check_verdict::fail:
        ++t.fail;
        break;
      case check_verdict::not_applicable:
        ++t.na;
        break;
    }
  }
  return t;
}

}  // namespace

std::string format_report(std::vector<check_result> const& checks, std::string const& url) {
  std::string out = "sse-listen --check " + url + "\n";
  for (auto const& c : checks) {
    out += verdict_mark(c.v);
    out += ' ' + c.name + ": ";
    if (c.v == check_verdict::not_applicable) out += "n/a: ";
    out += c.detail + '\n';
    if (!c.fix.empty()) out += "    fix: " + c.fix + '\n';
  }
  tally t = count(checks);
  out += "summary: " + std::to_string(t.pass) + " passed, " +
         plural(t.warn, "warning", "warnings") + ", " + std::to_string(t.fail) + " failed, " +
         std::to_string(t.na) + " n/a\n";
  return out;
}

std::string format_report_json(std::vector<check_result> const& checks, std::string const& url) {
  std::string out = "{\"url\":";
  tools::append_json_string(out, url);
  out += ",\"checks\":[";
  for (std::size_t i = 0; i < checks.size(); ++i) {
    auto const& c = checks[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    tools::append_json_string(out, c.name);
    out += ",\"verdict\":\"";
    out += verdict_name(c.v);
    out += "\",\"detail\":";
    tools::append_json_string(out, c.detail);
    out += ",\"fix\":";
    tools::append_json_string(out, c.fix);
    out += '}';
  }
  tally t = count(checks);
  out += "],\"summary\":{\"pass\":" + std::to_string(t.pass) +
         ",\"warn\":" + std::to_string(t.warn) + ",\"fail\":" + std::to_string(t.fail) +
         ",\"n/a\":" + std::to_string(t.na) + "}}\n";
  return out;
}

// ---- Measuring ----

namespace {

using clock_type = std::chrono::steady_clock;

// One request, watched: its head, and each read of its body with what the parser made of it.
class recorder final : public sse::handler {
 public:
  struct settings {
    double limit_s = 30;            // stop watching after this long
    bool stop_at_first_id = false;  // the reconnection: its first event with an id is enough
    bool read_any_body = false;     // the preflight: any body is read (and dropped)
  };

  recorder(options const& o, settings s)
      : s_(s), parser_(*this, make_parser_options(o)), start_(clock_type::now()) {}

  response_observation run(options const& o, std::optional<std::string> const& body,
                           std::string const& url, curl_slist* headers) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
    if (!easy) {
      obs_.error = "cannot initialise libcurl";
      return obs_;
    }
    CURL* e = easy.get();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    configure_easy(e, o, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &recorder::on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &recorder::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &recorder::on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.limit_s * 1000));
    start_ = clock_type::now();
    CURLcode rc = curl_easy_perform(e);
    obs_.observed = now();
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
      case CURL_HTTP_VERSION_1_0:
        obs_.http_version = "1.0";
        break;
      case CURL_HTTP_VERSION_1_1:
        obs_.http_version = "1.1";
        break;
      case CURL_HTTP_VERSION_2_0:
        obs_.http_version = "2";
        break;
      case CURL_HTTP_VERSION_3:
        obs_.http_version = "3";
        break;
      default:
        break;
    }
    if (rc == CURLE_OK) {
      obs_.ended = obs_.responded;
    } else if (rc == CURLE_OPERATION_TIMEDOUT && obs_.responded) {
      // The watch is over: our limit, not the server's doing.
    } else if (rc == CURLE_WRITE_ERROR && stopped_) {
      // Stopped by us: the reconnection's first event, or a body that is no event stream.
    } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
      interrupted_ = true;
    } else if (rc != CURLE_OPERATION_TIMEDOUT) {
      obs_.error = error_[0] != '\0' ? error_ : curl_easy_strerror(rc);
      obs_.ended = obs_.responded;
    }
    return obs_;
  }

  bool interrupted() const noexcept { return interrupted_; }

 private:
  static parser_options make_parser_options(options const& o) {
    parser_options p;
    p.max_event_size = o.max_event_size;
    p.comments = true;
    return p;
  }

  double now() const { return std::chrono::duration<double>(clock_type::now() - start_).count(); }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
    auto* r = static_cast<recorder*>(self);
    std::string_view line(data, size * n);
    if (line.substr(0, 5) == "HTTP/") {
      r->obs_.headers.clear();
      r->obs_.responded = false;
      auto const sp = line.find(' ');
      r->obs_.status = sp == std::string_view::npos
                           ? 0
                           : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
      return size * n;
    }
    auto const h = tools::trim_header_line(line);
    if (h.empty()) {
      // The end of a head; a redirect's or an interim one is followed by another.
      r->obs_.responded = true;
      r->obs_.head_at = r->now();
      return size * n;
    }
    auto const colon = h.find(':');
    if (colon != std::string_view::npos) {
      r->obs_.headers.emplace_back(std::string(tools::trim_header_line(h.substr(0, colon))),
                                   std::string(tools::trim_header_line(h.substr(colon + 1))));
    }
    return size * n;
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self) {
    auto* r = static_cast<recorder*>(self);
    std::size_t const total = size * n;
    if (r->s_.read_any_body) return total;
    if (!good_stream(r->obs_)) {
      r->stopped_ = true;  // not a stream: the head says all the checks need
      return 0;
    }
    r->arrival_ = arrival{r->now(), total, 0, 0};
    std::string_view chunk(data, total);
    while (!chunk.empty() && !r->stopped_) {
      std::size_t used = r->parser_.feed(chunk);
      if (r->parser_.error() != parse_error::none) break;
      chunk.remove_prefix(used);
    }
    r->obs_.arrivals.push_back(r->arrival_);
    return r->stopped_ || r->parser_.error() != parse_error::none ? 0 : total;
  }

  static int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return tools::received_signal() != 0 ? 1 : 0;
  }

  action on_event(event_view const& ev) override {
    ++arrival_.events;
    obs_.events.push_back({arrival_.at, ev.own_id ? std::string(ev.id) : std::string()});
    if (s_.stop_at_first_id && ev.own_id && !ev.id.empty()) {
      stopped_ = true;
      return action::stop;
    }
    return action::proceed;
  }
  void on_retry(std::uint64_t ms) override {
    if (!obs_.retry) obs_.retry = ms;
  }
  void on_comment(std::string_view) override { ++arrival_.comments; }

  settings s_;
  sse::parser parser_;
  clock_type::time_point start_;
  response_observation obs_;
  arrival arrival_;
  char error_[CURL_ERROR_SIZE] = {};
  bool stopped_ = false;
  bool interrupted_ = false;
};

// The -H headers a browser's fetch would have to ask a preflight for (not CORS-safelisted).
std::vector<std::string> unsafe_headers(options const& o) {
  std::vector<std::string> out;
  for (auto const& h : o.headers) {
    std::string name(tools::header_name(h));
    std::string lname = lowercase(name);
    if (lname == "accept" || lname == "accept-language" || lname == "content-language" ||
        lname == "last-event-id" || lname == "cache-control") {
      continue;
    }
    if (lname == "content-type") {
      auto colon = h.find(':');
      std::string value = lowercase(tools::trim_header_line(std::string_view(h).substr(colon + 1)));
      value = std::string(tools::trim_header_line(value.substr(0, value.find(';'))));
      if (value == "application/x-www-form-urlencoded" || value == "multipart/form-data" ||
          value == "text/plain") {
        continue;
      }
    }
    out.push_back(name);
  }
  return out;
}

int write_report(std::string const& text) {
  return tools::write_all(STDOUT_FILENO, text);
}

}  // namespace

exit_status run_check(options const& o, std::optional<std::string> const& body) {
  observations obs;
  obs.url = o.urls.at(0);
  obs.check_time = o.check_time;
  obs.origin = o.origin;
  options with_origin = o;
  if (!o.origin.empty()) with_origin.headers.push_back("Origin: " + o.origin);

  tools::info("checking " + obs.url + " for " + seconds(o.check_time) +
              " (then a reconnection, when the events have ids)");
  {
    recorder r(with_origin, {o.check_time, false, false});
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        request_headers(with_origin, {}), &curl_slist_free_all);
    obs.stream = r.run(with_origin, body, obs.url, headers.get());
    if (r.interrupted()) return exit_status::interrupted;
  }

  // The reconnection: from an id a few events in, so that the server has the next events to
  // replay; what it sends first says whether it resumed.
  std::vector<seen_event> with_ids;
  for (auto const& e : obs.stream.events) {
    if (!e.id.empty()) with_ids.push_back(e);
  }
  if (with_ids.size() >= 2) {
    std::size_t const k = with_ids.size() >= 4 ? 2 : with_ids.size() - 2;
    obs.resume_after = with_ids[k].id;
    double longest = 0;
    for (std::size_t i = 1; i < with_ids.size(); ++i) {
      longest = std::max(longest, with_ids[i].at - with_ids[i - 1].at);
    }
    obs.resume_wait = std::clamp(5 * longest, 2.0, 10.0);
    tools::info("reconnecting with Last-Event-ID: " + obs.resume_after + " (for at most " +
                seconds(obs.resume_wait) + ")");
    recorder r(with_origin, {obs.resume_wait, true, false});
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        request_headers(with_origin, obs.resume_after), &curl_slist_free_all);
    obs.resumed = r.run(with_origin, body, obs.url, headers.get());
    if (r.interrupted()) return exit_status::interrupted;
  }

  // The preflight a browser's fetch sends first (EventSource's own GET never needs one).
  if (!o.origin.empty()) {
    std::string method = !o.method.empty() ? o.method : o.data ? "POST" : "GET";
    for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto unsafe = unsafe_headers(o);
    bool const simple = method == "GET" || method == "HEAD" || method == "POST";
    if (!simple || !unsafe.empty()) {
      obs.preflight_method = method;
      obs.preflight_headers = unsafe;
      options pre = o;
      pre.method = "OPTIONS";
      pre.headers = {"Origin: " + o.origin, "Access-Control-Request-Method: " + method};
      if (!unsafe.empty()) {
        pre.headers.push_back("Access-Control-Request-Headers: " + lowercase(joined(unsafe, ",")));
      }
      tools::info("sending a CORS preflight (OPTIONS) for " + method);
      recorder r(pre, {std::min(o.check_time, 10.0), false, true});
      std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(request_headers(pre, {}),
                                                                          &curl_slist_free_all);
      obs.preflight = r.run(pre, std::nullopt, obs.url, headers.get());
      if (r.interrupted()) return exit_status::interrupted;
    }
  }

  auto const checks = judge(obs);
  std::string const report = o.format == output_format::json ? format_report_json(checks, obs.url)
                                                             : format_report(checks, obs.url);
  if (int err = write_report(report); err != 0) {
    if (err == EPIPE) return exit_status::ok;
    tools::error(std::string("cannot write the report: ") + std::strerror(err));
    return exit_status::local_io;
  }
  bool const failed = std::any_of(checks.begin(), checks.end(),
                                  [](check_result const& c) { return c.v == check_verdict::fail; });
  return failed ? exit_status::protocol : exit_status::ok;
}

}  // namespace sse::listen
