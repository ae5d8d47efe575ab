#include "http_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <utility>

#include "common/diagnostics.hpp"
#include "event_stream.hpp"
#include "frame.hpp"
#include "url_query.hpp"

namespace sse::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::string_view sv(beast::string_view s) { return std::string_view(s.data(), s.size()); }
beast::string_view bsv(std::string_view s) { return beast::string_view(s.data(), s.size()); }

std::string peer_name(asio::ip::tcp::socket const& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  auto addr = ep.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(ep.port());
}

// The user's --header values as name and value.
std::pair<std::string_view, std::string_view> split_header(std::string const& h) {
  std::string_view s(h);
  auto colon = s.find(':');
  std::string_view value = s.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return {s.substr(0, colon), value};
}

}  // namespace

http_session::http_session(asio::ip::tcp::socket socket, serve_context& ctx)
    : stream_(std::move(socket)), ctx_(ctx) {
  peer_ = peer_name(stream_.socket());
}

void http_session::start() { read_request(); }

void http_session::read_request() {
  parser_.emplace();
  parser_->header_limit(max_request_head);
  parser_->body_limit(max_request_body);
  stream_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(ctx_.opts.request_timeout)));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
      ec == asio::error::eof) {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    return;
  }
  if (ec == http::error::header_limit) {
    respond(431, "text/plain; charset=utf-8", "request header fields too large\n", false, false);
    return;
  }
  if (ec == http::error::body_limit) {
    respond(413, "text/plain; charset=utf-8", "request body too large\n", false, false);
    return;
  }
  if (ec) {
    respond(400, "text/plain; charset=utf-8", "bad request: " + ec.message() + "\n", false, false);
    return;
  }
  request req = parser_->release();
  parser_.reset();
  handle(req);
}

void http_session::handle(request const& req) {
  std::string_view target = sv(req.target());
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
  http::verb method = req.method();
  bool head = method == http::verb::head;
  bool keep_alive = req.keep_alive();
  auto const& o = ctx_.opts;

  if (path == o.path) {
    if (method == http::verb::options) {
      // The CORS preflight: EventSource with custom headers (or fetch) asks before a GET.
      if (o.cors) {
        respond(204, {}, {}, false, keep_alive,
                {{"Access-Control-Allow-Origin", *o.cors},
                 {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Last-Event-ID, Cache-Control, Accept"},
                 {"Access-Control-Max-Age", "86400"},
                 {"Allow", "GET, HEAD, OPTIONS"}});
      } else {
        respond(204, {}, {}, false, keep_alive, {{"Allow", "GET, HEAD, OPTIONS"}});
      }
      return;
    }
    if (method != http::verb::get && !head) {
      respond(405, "text/plain; charset=utf-8", "method not allowed\n", false, keep_alive,
              {{"Allow", "GET, HEAD, OPTIONS"}});
      return;
    }
    if (ctx_.hub.ended()) {
      // The spec's "stop reconnecting" for an EventSource: the stream has ended for good.
      respond(204, {}, {}, false, false);
      return;
    }
    if (head) {
      response_ = std::make_shared<std::string>(stream_head(req));
      auto const& bytes = *std::static_pointer_cast<std::string>(response_);
      asio::async_write(stream_, asio::buffer(bytes),
                        beast::bind_front_handler(&http_session::on_written, shared_from_this(),
                                                  keep_alive));
      return;
    }
    if (o.max_clients != 0 && ctx_.hub.clients() >= o.max_clients) {
      respond(503, "text/plain; charset=utf-8", "too many clients; try again later\n", false,
              false, {{"Retry-After", "5"}});
      return;
    }
    start_stream(req, query);
    return;
  }

  if (path == "/" || path == "/index.html") {
    if (method != http::verb::get && !head) {
      respond(405, "text/plain; charset=utf-8", "method not allowed\n", false, keep_alive,
              {{"Allow", "GET, HEAD"}});
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

  respond(404, "text/plain; charset=utf-8", "not found; the event stream is " + o.path + "\n",
          head, keep_alive);
}

std::string http_session::stream_head(request const& req) const {
  auto const& o = ctx_.opts;
  bool chunked = req.version() >= 11;
  std::string h = "HTTP/1.1 200 OK\r\n";
  h += "Content-Type: text/event-stream\r\n";
  h += "Cache-Control: no-cache, no-transform\r\n";
  h += "X-Accel-Buffering: no\r\n";
  h += chunked ? "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n" : "Connection: close\r\n";
  if (o.cors) {
    h += "Access-Control-Allow-Origin: " + *o.cors + "\r\n";
    if (*o.cors != "*") h += "Vary: Origin\r\n";
  }
  for (std::string const& extra : o.headers) {
    auto [name, value] = split_header(extra);
    h.append(name).append(": ").append(value).append("\r\n");
  }
  h += "\r\n";
  return h;
}

void http_session::start_stream(request const& req, std::string_view query) {
  auto const& o = ctx_.opts;
  bool chunked = req.version() >= 11;

  // The opening bytes: a comment so onopen fires and proxies see a body at once, and retry.
  std::string opening;
  sse::encode_comment(opening, "sse-serve");
  if (auto retry = ctx_.hub.retry() ? ctx_.hub.retry() : o.retry) sse::encode_retry(opening, *retry);
  frame_data first(opening);
  std::string head = stream_head(req);
  head.append(chunked ? first.chunked() : first.payload());

  // Last-Event-ID: the header a reconnecting EventSource sends wins over ?lastEventId=, which
  // only a page's first request can carry.
  std::optional<std::string> last_id;
  if (auto it = req.find("Last-Event-ID"); it != req.end()) {
    last_id.emplace(sv(it->value()));
  } else if (auto q = query_parameter(query, "lastEventId")) {
    last_id = std::move(q);
  }

  stream_.expires_never();
  auto stream = std::make_shared<event_stream>(stream_.release_socket(), ctx_, chunked, peer_,
                                               std::move(head));
  stream->announce_types = query_parameter(query, "types") == std::optional<std::string>("1");
  attach_result r = ctx_.hub.attach(stream, last_id, o.backlog);
  if (o.verbose) {
    char const* how = r == attach_result::replayed ? ", resuming after id "
                      : r == attach_result::reset  ? ", reset: unknown or expired id "
                                                   : "";
    tools::info("client " + peer_ + " connected" + how + (*how ? *last_id : std::string()) + " (" +
                std::to_string(ctx_.hub.clients()) + " clients)");
  }
  stream->start();
}

void http_session::respond(unsigned status, std::string_view content_type, std::string body,
                           bool head_only, bool keep_alive,
                           std::initializer_list<std::pair<std::string_view, std::string_view>> extra) {
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
  http::async_write(stream_, *res,
                    beast::bind_front_handler(&http_session::on_written, shared_from_this(),
                                              keep_alive));
}

void http_session::on_written(bool keep_alive, error_code ec, std::size_t) {
  response_.reset();
  if (!ec && keep_alive && !ctx_.hub.ended()) {
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
