#include "net/router.hpp"

#include <algorithm>
#include <sse/beast/http1.hpp>
#include <utility>

#include "auth/request_token.hpp"
#include "common/diagnostics.hpp"
#include "common/header.hpp"
#include "common/json_writer.hpp"
#include "net/event_stream.hpp"
#include "net/url_query.hpp"
#include "sources/http_publish.hpp"

namespace sse::serve {
namespace {

using tools::iequals;
using tools::trim_ows;

constexpr std::string_view text_plain = "text/plain; charset=utf-8";

}  // namespace

http_method method_of(std::string_view name) {
  if (name == "GET") return http_method::get;
  if (name == "HEAD") return http_method::head;
  if (name == "POST") return http_method::post;
  if (name == "OPTIONS") return http_method::options;
  return http_method::other;
}

answer make_response(unsigned status, std::string_view content_type, std::string body,
                     bool head_only, bool keep_alive, header_fields headers) {
  answer a;
  a.status = status;
  a.content_type = content_type;
  a.body = std::move(body);
  a.head_only = head_only;
  a.keep_alive = keep_alive;
  a.headers = std::move(headers);
  return a;
}

header_fields stream_headers(http_config const& config) {
  // sse/beast's fields, with sse-serve's Content-Type (no charset) as it always was.
  return sse::beast::stream_fields(config.cors, config.headers, "text/event-stream");
}

bool accepts_event_stream(std::string_view accept) {
  constexpr auto npos = std::string_view::npos;
  while (!accept.empty()) {
    std::size_t const comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == npos ? std::string_view() : accept.substr(comma + 1);
    std::size_t semi = range.find(';');
    if (!iequals(trim_ows(range.substr(0, semi)), "text/event-stream")) continue;
    bool refused = false;  // "q=0" means "not acceptable"
    while (semi != npos) {
      range.remove_prefix(semi + 1);
      semi = range.find(';');
      std::string_view param = trim_ows(range.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        refused = param.substr(2).find_first_not_of("0.") == npos;
      }
    }
    if (!refused) return true;
  }
  return false;
}

std::optional<router::stream_route> router::stream_target(std::string_view target) const {
  std::string const& base = ctx_.config.path;
  stream_route r;
  r.path = target.substr(0, target.find('?'));
  r.query = r.path.size() < target.size() ? target.substr(r.path.size() + 1) : std::string_view();
  // The stream is the path, or the path and a topic: /events/TOPIC is /events?topic=TOPIC.
  r.topic_path = r.path.size() > base.size() && r.path.compare(0, base.size(), base) == 0 &&
                 r.path[base.size()] == '/';
  if (r.path != base && !r.topic_path) return std::nullopt;
  return r;
}

std::vector<std::string> router::topics_of(stream_route const& r) const {
  std::vector<std::string> topics;
  if (r.topic_path)
    topics.push_back(decode_path_segment(r.path.substr(ctx_.config.path.size() + 1)));
  for (std::string& t : query_parameters(r.query, "topic")) topics.push_back(std::move(t));
  return topics;
}

std::int64_t router::now() const {
  // Only a JWT (its exp) needs the time; a clock read was 2% of a pipelined publish.
  return ctx_.access.uses_clock() ? unix_now() : 0;
}

std::optional<std::string> router::token_of(request_view const& req, std::string_view query) const {
  return presented_token(req.authorization, req.cookie, ctx_.config.token_cookie, query);
}

answer router::refuse(access_decision const& d, bool keep_alive, bool publishing,
                      std::string_view peer, bool head_only) {
  if (publishing) ++ctx_.counters.publish_requests[static_cast<unsigned>(d.status())];
  if (ctx_.config.verbose) tools::info("client " + std::string(peer) + " refused: " + d.reason);
  if (d.verdict == access_verdict::unauthorized) {
    return make_response(401, text_plain, d.reason + "\n", head_only, keep_alive,
                         {{"WWW-Authenticate", "Bearer"}});
  }
  return make_response(403, text_plain, d.reason + "\n", head_only, keep_alive);
}

bool router::is_publish(request_view const& head) const {
  return head.method == http_method::post && ctx_.access.publishing_enabled() &&
         stream_target(head.target);
}

std::uint64_t router::body_limit(request_view const& head) const {
  return is_publish(head) ? ctx_.config.max_publish : max_request_body;
}

std::uint64_t router::body_limit_ceiling() const {
  return ctx_.access.publishing_enabled()
             ? std::max<std::uint64_t>(ctx_.config.max_publish, max_request_body)
             : max_request_body;
}

std::optional<answer> router::admit_publish(request_view const& head, std::string_view peer) {
  std::optional<stream_route> route = stream_target(head.target);
  std::vector<std::string> topics = topics_of(*route);
  std::string topic = topics.empty() ? std::string() : topics.front();
  if (!topic.empty()) {
    if (std::string problem = topic_problem(topic); !problem.empty()) {
      ++ctx_.counters.publish_requests[400];
      return make_response(400, text_plain, "bad topic: " + problem + "\n", false, false);
    }
  }
  access_decision d =
      ctx_.access.check_publish(token_of(head, route->query), topic, now(), token_digest_);
  if (!d.allowed()) return refuse(d, false, true, peer);
  if (head.content_type && !publishable_type(*head.content_type)) {
    ++ctx_.counters.publish_requests[415];
    return make_response(
        415, text_plain,
        "Content-Type '" + std::string(*head.content_type) +
            "' is not one publish takes: text/plain, application/json or text/event-stream\n",
        false, false, {{"Accept-Post", "text/plain, application/json, text/event-stream"}});
  }
  if (head.content_length && *head.content_length > ctx_.config.max_publish)
    return body_too_large(head);
  return std::nullopt;
}

answer router::head_too_large() const {
  return make_response(431, text_plain, "request header fields too large\n", false, false);
}

answer router::body_too_large(request_view const& head) {
  bool const publishing = is_publish(head);
  if (publishing) ++ctx_.counters.publish_requests[413];
  return make_response(413, text_plain,
                       publishing ? "the body is larger than --max-publish (" +
                                        std::to_string(ctx_.config.max_publish) + " bytes)\n"
                                  : std::string("request body too large\n"),
                       false, false);
}

answer router::bad_request(std::string_view why) const {
  return make_response(400, text_plain, "bad request: " + std::string(why) + "\n", false, false);
}

void router::publish(request_view const& req, std::string_view peer, answer_handler answer_later) {
  std::optional<stream_route> route = stream_target(req.target);
  bool const keep_alive = req.keep_alive;
  auto done = [this, keep_alive, &answer_later](unsigned status, std::string body,
                                                std::string_view type = text_plain,
                                                header_fields extra = {}) {
    ++ctx_.counters.publish_requests[status];
    answer_later(make_response(status, type, std::move(body), false, keep_alive && status < 500,
                               std::move(extra)));
  };
  if (!route) return done(404, "not found; the event stream is " + ctx_.config.path + "\n");
  if (ctx_.state != stopping::no || ctx_.hub.ended()) {
    return done(503, "the server is shutting down; publish elsewhere or later\n", text_plain,
                {{"Retry-After", "5"}});
  }
  std::vector<std::string> topics = topics_of(*route);
  publish_defaults defaults;
  if (!topics.empty()) defaults.topic = topics.front();
  if (auto type = query_parameter(route->query, "event")) defaults.type = std::move(*type);
  defaults.id = query_parameter(route->query, "id");
  publish_result parsed =
      parse_publish(req.content_type.value_or(std::string_view()), req.body, defaults);
  if (parsed.status != 0) return done(parsed.status, parsed.error + "\n");
  // Every event's topic must be allowed before any is published: all or nothing.
  std::optional<std::string> token = token_of(req, route->query);
  std::int64_t const now = this->now();
  for (source_event const& ev : parsed.events) {
    if (ev.topic == defaults.topic) continue;  // checked with the request head
    if (access_decision d = ctx_.access.check_publish(token, ev.topic, now, token_digest_);
        !d.allowed())
      return answer_later(refuse(d, keep_alive, true, peer));
  }
  // The hub answers at once; the shared store (--redis) once it has the events.
  ctx_.sink->publish_batch(
      std::move(parsed.events), event_source_kind::http,
      [this, keep_alive, answer_later = std::move(answer_later)](
          std::optional<std::vector<std::string>> ids, std::string const& why) {
        if (!ids) {
          ++ctx_.counters.publish_requests[503];
          answer_later(make_response(503, text_plain, "cannot publish now: " + why + "\n", false,
                                     false, {{"Retry-After", "5"}}));
          return;
        }
        // {"ids": [...]} as nlohmann::json::dump wrote it, without building a JSON tree.
        std::string body = "{\"ids\":[";
        for (std::size_t i = 0; i < ids->size(); ++i) {
          if (i != 0) body.push_back(',');
          tools::append_json_string(body, (*ids)[i]);
        }
        body.append("]}\n");
        ++ctx_.counters.publish_requests[201];
        answer_later(make_response(201, "application/json", std::move(body), false, keep_alive));
      });
}

answer router::route(request_view const& req, std::string_view peer) {
  std::string_view const target = req.target;
  std::string_view const path = target.substr(0, target.find('?'));
  http_method const method = req.method;
  bool const head = method == http_method::head;
  bool const keep_alive = req.keep_alive;
  auto const& c = ctx_.config;
  bool const publishing = ctx_.access.publishing_enabled();
  std::string const allow = publishing ? "GET, HEAD, POST, OPTIONS" : "GET, HEAD, OPTIONS";

  if (std::optional<stream_route> route = stream_target(target)) {
    std::string_view query = route->query;
    if (method == http_method::options) {
      // The CORS preflight: EventSource with custom headers (or fetch) asks before a GET.
      if (c.cors) {
        return make_response(204, {}, {}, false, keep_alive,
                             {{"Access-Control-Allow-Origin", *c.cors},
                              {"Access-Control-Allow-Methods", allow},
                              {"Access-Control-Allow-Headers",
                               "Last-Event-ID, Cache-Control, Accept, Authorization, Content-Type"},
                              {"Access-Control-Max-Age", "86400"},
                              {"Allow", allow}});
      }
      return make_response(204, {}, {}, false, keep_alive, {{"Allow", allow}});
    }
    if (method == http_method::post && publishing) {
      answer a;
      a.what = answer::kind::publish;
      return a;
    }
    if (method != http_method::get && !head) {
      return make_response(405, text_plain, "method not allowed\n", false, keep_alive,
                           {{"Allow", allow}});
    }
    std::vector<std::string> topics = topics_of(*route);
    for (std::string const& t : topics) {
      if (std::string problem = topic_problem(t); !problem.empty())
        return make_response(400, text_plain, "bad topic: " + problem + "\n", head, keep_alive);
    }
    if (topics.size() > max_stream_topics) {
      return make_response(
          400, text_plain,
          "a stream follows at most " + std::to_string(max_stream_topics) + " topics\n", head,
          keep_alive);
    }
    if (ctx_.access.subscribe_required()) {
      access_decision d = ctx_.access.check_subscribe(token_of(req, query), topics, now());
      // A HEAD (the page asks why it was refused) gets the status without a body.
      if (!d.allowed()) return refuse(d, keep_alive, false, peer, head);
    }
    return stream(req, query, std::move(topics), peer);
  }

  if (path == "/healthz") {
    return make_response(200, text_plain, "ok\n", head, keep_alive,
                         {{"Cache-Control", "no-store"}});
  }
  if (path == "/metrics" && c.metrics) {
    return make_response(200, "text/plain; version=0.0.4; charset=utf-8",
                         render_metrics(ctx_.hub, ctx_.counters) +
                             (ctx_.extra_metrics ? ctx_.extra_metrics() : std::string()),
                         head, keep_alive, {{"Cache-Control", "no-store"}});
  }

  if (path == "/" || path == "/index.html") {
    if (method != http_method::get && !head) {
      return make_response(405, text_plain, "method not allowed\n", false, keep_alive,
                           {{"Allow", "GET, HEAD"}});
    }
    return make_response(200, "text/html; charset=utf-8", ctx_.page, head, keep_alive,
                         {{"Cache-Control", "no-cache"},
                          {"Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; style-src "
                           "'unsafe-inline'; connect-src 'self'; img-src data:"},
                          {"X-Content-Type-Options", "nosniff"}});
  }

  return make_response(404, text_plain, "not found; the event stream is " + c.path + "\n", head,
                       keep_alive);
}

answer router::stream(request_view const& req, std::string_view query,
                      std::vector<std::string> topics, std::string_view peer) {
  if (ctx_.state == stopping::end_of_input) {
    // The spec's "stop reconnecting" for an EventSource: the stream has ended for good.
    return make_response(204, {}, {}, false, false);
  }
  if (ctx_.state == stopping::shutdown) {
    ++ctx_.counters.turned_away_shutdown;
    return turn_away(req, "shutting down", peer);
  }
  if (req.method == http_method::head) {
    answer a;
    a.what = answer::kind::stream_head;
    a.keep_alive = req.keep_alive;
    return a;
  }
  if (ctx_.config.max_clients != 0 && ctx_.hub.clients() >= ctx_.config.max_clients) {
    ++ctx_.counters.turned_away_full;
    return turn_away(req, "too many clients", peer);
  }
  answer a;
  a.what = answer::kind::stream;
  // Last-Event-ID: the header a reconnecting EventSource sends wins over ?lastEventId=, which
  // only a page's first request can carry.
  a.last_event_id = sse::beast::last_event_id(req.last_event_id, req.target);
  a.topics = std::move(topics);
  a.announce_types = query_parameter(query, "types") == std::optional<std::string>("1");
  return a;
}

answer router::turn_away(request_view const& req, char const* why, std::string_view peer) {
  if (ctx_.config.verbose) tools::info("client " + std::string(peer) + " turned away: " + why);
  if (accepts_event_stream(req.accept)) {
    // EventSource gives up for good on any status but 200: a stream that ends at once, with a
    // reconnection time, brings it back later instead.
    answer a;
    a.what = answer::kind::turn_away;
    a.body = event_stream::turn_away(ctx_.hub.retry() ? ctx_.hub.retry() : ctx_.config.retry);
    a.keep_alive = false;
    return a;
  }
  return make_response(503, text_plain, std::string(why) + "; try again later\n", false, false,
                       {{"Retry-After", "5"}});
}

void router::start_stream(std::shared_ptr<event_stream> const& s, answer const& a,
                          request_view const& req) {
  s->announce_types = a.announce_types;
  attach_result r = ctx_.hub.attach(s, a.last_event_id, ctx_.config.backlog, a.topics);
  if (ctx_.config.verbose) {
    char const* how = r == attach_result::replayed   ? ", resuming after id "
                      : r == attach_result::fetching ? ", resuming from the shared store after id "
                      : r == attach_result::reset    ? ", reset: unknown or expired id "
                                                     : "";
    tools::info("client " + s->peer() + " connected to " + redact_query(req.target) + how +
                (*how ? *a.last_event_id : std::string()) + " (" +
                std::to_string(ctx_.hub.clients()) + " clients)");
  }
}

}  // namespace sse::serve
