#include "net/http_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sse/beast/http1.hpp>
#include <utility>

#include "auth/request_token.hpp"
#include "common/diagnostics.hpp"
#include "common/endpoint.hpp"
#include "net/http1_stream.hpp"
#include "net/url_query.hpp"
#include "sources/http_publish.hpp"

namespace sse::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::string_view sv(beast::string_view s) {
  return std::string_view(s.data(), s.size());
}
beast::string_view bsv(std::string_view s) {
  return beast::string_view(s.data(), s.size());
}

std::string peer_name(asio::ip::tcp::socket const& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return tools::host_port(ep.address().to_string(), ep.port());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr std::string_view text_plain = "text/plain; charset=utf-8";

}  // namespace

bool accepts_event_stream(std::string_view accept) {
  constexpr auto npos = std::string_view::npos;
  while (!accept.empty()) {
    std::size_t const comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == npos ? std::string_view() : accept.substr(comma + 1);
    std::size_t semi = range.find(';');
    if (!iequals(trim(range.substr(0, semi)), "text/event-stream")) continue;
    bool refused = false;  // "q=0" means "not acceptable"
    while (semi != npos) {
      range.remove_prefix(semi + 1);
      semi = range.find(';');
      std::string_view param = trim(range.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        refused = param.substr(2).find_first_not_of("0.") == npos;
      }
    }
    if (!refused) return true;
  }
  return false;
}

http_session::http_session(asio::ip::tcp::socket socket, stream_context& ctx)
    : stream_(std::move(socket)), ctx_(ctx) {
  peer_ = peer_name(stream_.socket());
}

void http_session::start() {
  read_request();
}

void http_session::read_request() {
  parser_.emplace();
  parser_->header_limit(max_request_head);
  parser_->body_limit(max_request_body);
  stream_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(ctx_.config.request_timeout)));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(error_code ec, std::size_t) {
  if (ec) {
    read_failed(ec);
    return;
  }
  // A publish is checked before its body is read: a request that will be refused does not get to
  // send (and make the server buffer) up to --max-publish bytes first.
  auto const& req = parser_->get();
  if (req.method() == http::verb::post && ctx_.access.publishing_enabled() &&
      stream_target(sv(req.target()))) {
    if (!admit_publish(req)) return;
    if (auto expect = req.find(http::field::expect);
        expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      // curl waits a second for this before sending a body over 1 KiB.
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                        [self = shared_from_this()](error_code wec, std::size_t) {
                          if (wec) {
                            self->read_failed(wec);
                            return;
                          }
                          self->read_body();
                        });
      return;
    }
  }
  read_body();
}

void http_session::read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(error_code ec, std::size_t) {
  if (ec) {
    read_failed(ec);
    return;
  }
  request req = parser_->release();
  parser_.reset();
  handle(req);
}

void http_session::read_failed(error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof) {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    return;
  }
  if (ec == http::error::header_limit) {
    respond(431, text_plain, "request header fields too large\n", false, false);
    return;
  }
  if (ec == http::error::body_limit) {
    bool publishing =
        parser_ && parser_->get().method() == http::verb::post && ctx_.access.publishing_enabled();
    if (publishing) ++ctx_.counters.publish_requests[413];
    respond(413, text_plain,
            publishing ? "the body is larger than --max-publish (" +
                             std::to_string(ctx_.config.max_publish) + " bytes)\n"
                       : std::string("request body too large\n"),
            false, false);
    return;
  }
  respond(400, text_plain, "bad request: " + ec.message() + "\n", false, false);
}

std::optional<http_session::stream_route> http_session::stream_target(
    std::string_view target) const {
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

std::vector<std::string> http_session::topics_of(stream_route const& r) const {
  std::vector<std::string> topics;
  if (r.topic_path)
    topics.push_back(decode_path_segment(r.path.substr(ctx_.config.path.size() + 1)));
  for (std::string& t : query_parameters(r.query, "topic")) topics.push_back(std::move(t));
  return topics;
}

std::optional<std::string> http_session::token_of(request_header const& req,
                                                  std::string_view query) const {
  auto value = [&req](http::field f) {
    auto it = req.find(f);
    return it == req.end() ? std::string_view() : sv(it->value());
  };
  return presented_token(value(http::field::authorization), value(http::field::cookie),
                         ctx_.config.token_cookie, query);
}

void http_session::refuse(access_decision const& d, bool keep_alive, bool publishing, bool head_only) {
  if (publishing) ++ctx_.counters.publish_requests[static_cast<unsigned>(d.status())];
  if (ctx_.config.verbose) tools::info("client " + peer_ + " refused: " + d.reason);
  if (d.verdict == access_verdict::unauthorized) {
    respond(401, text_plain, d.reason + "\n", head_only, keep_alive, {{"WWW-Authenticate", "Bearer"}});
  } else {
    respond(403, text_plain, d.reason + "\n", head_only, keep_alive);
  }
}

bool http_session::admit_publish(request_header const& req) {
  std::optional<stream_route> route = stream_target(sv(req.target()));
  std::vector<std::string> topics = topics_of(*route);
  std::string topic = topics.empty() ? std::string() : topics.front();
  if (!topic.empty()) {
    if (std::string problem = topic_problem(topic); !problem.empty()) {
      ++ctx_.counters.publish_requests[400];
      respond(400, text_plain, "bad topic: " + problem + "\n", false, false);
      return false;
    }
  }
  access_decision d = ctx_.access.check_publish(token_of(req, route->query), topic, unix_now());
  if (!d.allowed()) {
    refuse(d, false, true);
    return false;
  }
  auto type = req.find(http::field::content_type);
  if (type != req.end() && !publishable_type(sv(type->value()))) {
    ++ctx_.counters.publish_requests[415];
    respond(415, text_plain,
            "Content-Type '" + std::string(sv(type->value())) +
                "' is not one publish takes: text/plain, application/json or text/event-stream\n",
            false, false, {{"Accept-Post", "text/plain, application/json, text/event-stream"}});
    return false;
  }
  if (auto length = parser_->content_length(); length && *length > ctx_.config.max_publish) {
    ++ctx_.counters.publish_requests[413];
    respond(413, text_plain,
            "the body is larger than --max-publish (" + std::to_string(ctx_.config.max_publish) +
                " bytes)\n",
            false, false);
    return false;
  }
  parser_->body_limit(ctx_.config.max_publish);
  return true;
}

void http_session::publish(request const& req, stream_route const& route) {
  bool const keep_alive = req.keep_alive();
  auto done = [this, keep_alive](unsigned status, std::string body,
                                 std::string_view type = "text/plain; charset=utf-8",
                                 header_list extra = {}) {
    ++ctx_.counters.publish_requests[status];
    respond(status, type, std::move(body), false, keep_alive && status < 500, extra);
  };
  if (ctx_.state != stopping::no || ctx_.hub.ended()) {
    done(503, "the server is shutting down; publish elsewhere or later\n",
         "text/plain; charset=utf-8", {{"Retry-After", "5"}});
    return;
  }
  std::vector<std::string> topics = topics_of(route);
  publish_defaults defaults;
  if (!topics.empty()) defaults.topic = topics.front();
  if (auto type = query_parameter(route.query, "event")) defaults.type = std::move(*type);
  defaults.id = query_parameter(route.query, "id");
  auto content_type = req.find(http::field::content_type);
  publish_result parsed =
      parse_publish(content_type == req.end() ? std::string_view() : sv(content_type->value()),
                    req.body(), defaults);
  if (parsed.status != 0) {
    done(parsed.status, parsed.error + "\n");
    return;
  }
  // Every event's topic must be allowed before any is published: all or nothing.
  std::optional<std::string> token = token_of(req, route.query);
  std::int64_t const now = unix_now();
  for (source_event const& ev : parsed.events) {
    if (ev.topic == defaults.topic) continue;  // checked with the request head
    if (access_decision d = ctx_.access.check_publish(token, ev.topic, now); !d.allowed()) {
      refuse(d, keep_alive, true);
      return;
    }
  }
  // The hub answers at once; the shared store (--redis) once it has the events.
  ctx_.sink->publish_batch(
      std::move(parsed.events), event_source_kind::http,
      [self = shared_from_this(), keep_alive](std::optional<std::vector<std::string>> ids,
                                              std::string const& why) {
        if (!ids) {
          ++self->ctx_.counters.publish_requests[503];
          self->respond(503, "text/plain; charset=utf-8", "cannot publish now: " + why + "\n",
                        false, false, {{"Retry-After", "5"}});
          return;
        }
        nlohmann::json body = {{"ids", std::move(*ids)}};
        ++self->ctx_.counters.publish_requests[201];
        self->respond(201, "application/json", body.dump() + "\n", false, keep_alive);
      });
}

void http_session::handle(request const& req) {
  std::string_view target = sv(req.target());
  std::string_view path = target.substr(0, target.find('?'));
  http::verb method = req.method();
  bool head = method == http::verb::head;
  bool keep_alive = req.keep_alive();
  auto const& c = ctx_.config;
  bool const publishing = ctx_.access.publishing_enabled();
  std::string_view const allow = publishing ? "GET, HEAD, POST, OPTIONS" : "GET, HEAD, OPTIONS";

  if (std::optional<stream_route> route = stream_target(target)) {
    std::string_view query = route->query;
    if (method == http::verb::options) {
      // The CORS preflight: EventSource with custom headers (or fetch) asks before a GET.
      if (c.cors) {
        respond(204, {}, {}, false, keep_alive,
                {{"Access-Control-Allow-Origin", *c.cors},
                 {"Access-Control-Allow-Methods", allow},
                 {"Access-Control-Allow-Headers",
                  "Last-Event-ID, Cache-Control, Accept, Authorization, Content-Type"},
                 {"Access-Control-Max-Age", "86400"},
                 {"Allow", allow}});
      } else {
        respond(204, {}, {}, false, keep_alive, {{"Allow", allow}});
      }
      return;
    }
    if (method == http::verb::post && publishing) {
      publish(req, *route);
      return;
    }
    if (method != http::verb::get && !head) {
      respond(405, text_plain, "method not allowed\n", false, keep_alive, {{"Allow", allow}});
      return;
    }
    std::vector<std::string> topics = topics_of(*route);
    for (std::string const& t : topics) {
      if (std::string problem = topic_problem(t); !problem.empty()) {
        respond(400, text_plain, "bad topic: " + problem + "\n", head, keep_alive);
        return;
      }
    }
    if (topics.size() > max_stream_topics) {
      respond(400, text_plain,
              "a stream follows at most " + std::to_string(max_stream_topics) + " topics\n", head,
              keep_alive);
      return;
    }
    if (ctx_.access.subscribe_required()) {
      access_decision d = ctx_.access.check_subscribe(token_of(req, query), topics, unix_now());
      if (!d.allowed()) {
        refuse(d, keep_alive, false, head);  // a HEAD (the page asks why it was refused) has no body
        return;
      }
    }
    handle_stream(req, query, std::move(topics));
    return;
  }

  if (path == "/healthz") {
    respond(200, text_plain, "ok\n", head, keep_alive, {{"Cache-Control", "no-store"}});
    return;
  }
  if (path == "/metrics" && c.metrics) {
    respond(200, "text/plain; version=0.0.4; charset=utf-8",
            render_metrics(ctx_.hub, ctx_.counters) +
                (ctx_.extra_metrics ? ctx_.extra_metrics() : std::string()),
            head, keep_alive, {{"Cache-Control", "no-store"}});
    return;
  }

  if (path == "/" || path == "/index.html") {
    if (method != http::verb::get && !head) {
      respond(405, text_plain, "method not allowed\n", false, keep_alive, {{"Allow", "GET, HEAD"}});
      return;
    }
    respond(200, "text/html; charset=utf-8", ctx_.page, head, keep_alive,
            {{"Cache-Control", "no-cache"},
             {"Content-Security-Policy",
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
              "connect-src 'self'; img-src data:"},
             {"X-Content-Type-Options", "nosniff"}});
    return;
  }

  respond(404, text_plain, "not found; the event stream is " + c.path + "\n", head, keep_alive);
}

void http_session::handle_stream(request const& req, std::string_view query,
                                 std::vector<std::string> topics) {
  bool const head = req.method() == http::verb::head;
  if (ctx_.state == stopping::end_of_input) {
    // The spec's "stop reconnecting" for an EventSource: the stream has ended for good.
    respond(204, {}, {}, false, false);
    return;
  }
  if (ctx_.state == stopping::shutdown) {
    ++ctx_.counters.turned_away_shutdown;
    turn_away(req, "shutting down");
    return;
  }
  if (head) {
    write_raw(http1_stream_head(ctx_.config, req.version() >= 11), req.keep_alive());
    return;
  }
  if (ctx_.config.max_clients != 0 && ctx_.hub.clients() >= ctx_.config.max_clients) {
    ++ctx_.counters.turned_away_full;
    turn_away(req, "too many clients");
    return;
  }
  start_stream(req, query, std::move(topics));
}

void http_session::turn_away(request const& req, char const* why) {
  if (ctx_.config.verbose) tools::info("client " + peer_ + " turned away: " + why);
  auto accept = req.find(http::field::accept);
  if (accept != req.end() && accepts_event_stream(sv(accept->value()))) {
    // EventSource gives up for good on any status but 200: a stream that ends at once, with a
    // reconnection time, brings it back later instead.
    bool chunked = req.version() >= 11;
    std::string bytes = http1_stream_head(ctx_.config, chunked);
    std::string payload =
        event_stream::turn_away(ctx_.hub.retry() ? ctx_.hub.retry() : ctx_.config.retry);
    if (chunked) {
      append_chunk(bytes, payload);
      bytes += http1_last_chunk;
    } else {
      bytes += payload;
    }
    write_raw(std::move(bytes), false);
    return;
  }
  respond(503, text_plain, std::string(why) + "; try again later\n", false, false,
          {{"Retry-After", "5"}});
}

void http_session::start_stream(request const& req, std::string_view query,
                                std::vector<std::string> topics) {
  auto const& c = ctx_.config;
  // Last-Event-ID: the header a reconnecting EventSource sends wins over ?lastEventId=, which
  // only a page's first request can carry.
  std::optional<std::string> last_id = sse::beast::last_event_id(req);

  stream_.expires_never();
  auto stream =
      std::make_shared<http1_stream>(stream_.release_socket(), ctx_, req.version() >= 11, peer_);
  stream->announce_types = query_parameter(query, "types") == std::optional<std::string>("1");
  attach_result r = ctx_.hub.attach(stream, last_id, c.backlog, topics);
  if (c.verbose) {
    char const* how = r == attach_result::replayed   ? ", resuming after id "
                      : r == attach_result::fetching ? ", resuming from the shared store after id "
                      : r == attach_result::reset    ? ", reset: unknown or expired id "
                                                     : "";
    tools::info("client " + peer_ + " connected to " + redact_query(sv(req.target())) + how +
                (*how ? *last_id : std::string()) + " (" + std::to_string(ctx_.hub.clients()) +
                " clients)");
  }
  stream->start();
}

void http_session::respond(unsigned status, std::string_view content_type, std::string body,
                           bool head_only, bool keep_alive, header_list extra) {
  auto res = std::make_shared<http::response<http::string_body>>();
  res->result(status);
  res->version(11);
  res->set(http::field::server, "sse-serve");
  if (!content_type.empty()) res->set(http::field::content_type, bsv(content_type));
  for (auto const& [name, value] : extra) res->set(bsv(name), bsv(value));
  res->keep_alive(keep_alive);
  std::size_t length = body.size();
  if (!head_only) res->body() = std::move(body);
  if (status != 204) res->content_length(length);
  response_ = res;
  http::async_write(
      stream_, *res,
      beast::bind_front_handler(&http_session::on_written, shared_from_this(), keep_alive));
}

void http_session::write_raw(std::string bytes, bool keep_alive) {
  auto owned = std::make_shared<std::string>(std::move(bytes));
  response_ = owned;
  asio::async_write(
      stream_, asio::buffer(*owned),
      beast::bind_front_handler(&http_session::on_written, shared_from_this(), keep_alive));
}

void http_session::on_written(bool keep_alive, error_code ec, std::size_t) {
  response_.reset();
  if (!ec && keep_alive && ctx_.state == stopping::no) {
    read_request();
    return;
  }
  linger_close();
}

void http_session::linger_close() {
  // Closing with unread request bytes would send a reset that can destroy the response before
  // the client reads it (e.g. a 431 for a huge head): end our side, then drain until the client
  // closes or a short deadline passes.
  error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  // One deadline for the whole drain: a client trickling bytes must not keep the socket forever.
  stream_.expires_after(std::chrono::seconds(2));
  buffer_.clear();
  drain();
}

void http_session::drain() {
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                            if (ec) {
                              self->stream_.close();
                              return;
                            }
                            self->buffer_.clear();
                            self->drain();
                          });
}

}  // namespace sse::serve
