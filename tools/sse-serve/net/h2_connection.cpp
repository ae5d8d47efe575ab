#include "net/h2_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "common/diagnostics.hpp"
#include "net/h2_stream.hpp"

namespace sse::serve {

namespace {

// nghttp2 stops asking for frames once this much is assembled for one write; the rest waits for
// the next write, so one connection's buffer stays bounded whatever its streams have queued.
constexpr std::size_t max_write_bytes = std::size_t{256} << 10;
// Body bytes dropped after an early answer before the stream is reset.
constexpr std::uint64_t max_discarded_body = std::uint64_t{8} << 20;
// HPACK's dynamic table, both ways (the RFC's default; a peer cannot make us keep more).
constexpr std::uint32_t hpack_table_size = 4096;

std::string_view view(std::uint8_t const* p, std::size_t n) {
  return std::string_view(reinterpret_cast<char const*>(p), n);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Fields HTTP/2 forbids (RFC 9113 8.2.2); a --header with one of these names is not sent.
bool connection_specific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade";
}

}  // namespace

// What one HTTP/2 stream (request) holds until it ends.
struct h2_connection::request {
  explicit request(std::int32_t stream_id) : id(stream_id) {}
  std::int32_t id;
  std::string method;
  std::string path;
  std::string authorization;
  std::string cookie;
  std::string accept;
  std::string content_type;
  std::string last_event_id;
  bool has_content_type = false;
  bool has_last_event_id = false;
  std::optional<std::uint64_t> content_length;
  std::size_t head_bytes = 0;
  bool head_too_large = false;
  std::string body;
  std::uint64_t body_limit = max_request_body;
  bool answered = false;
  std::uint64_t discarded = 0;  // body bytes that arrived after the answer
  std::string response;         // the body being sent
  std::size_t response_sent = 0;
  std::shared_ptr<h2_stream> stream;
};

// nghttp2's callbacks, as static members that find the connection in user_data.
struct h2_connection::callbacks {
  static h2_connection& of(void* user_data) { return *static_cast<h2_connection*>(user_data); }

  static ssize_t send(nghttp2_session*, std::uint8_t const* data, std::size_t length, int,
                      void* user_data) {
    h2_connection& c = of(user_data);
    if (c.queued_ >= max_write_bytes) return NGHTTP2_ERR_WOULDBLOCK;
    c.append_copy(view(data, length));
    return static_cast<ssize_t>(length);
  }

  static int send_data(nghttp2_session*, nghttp2_frame* f, std::uint8_t const* head,
                       std::size_t length, nghttp2_data_source* source, void* user_data) {
    h2_connection& c = of(user_data);
    if (c.queued_ >= max_write_bytes) return NGHTTP2_ERR_WOULDBLOCK;
    if (f->data.padlen != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;  // never asked for
    c.append_copy(view(head, 9));
    static_cast<h2_stream*>(source->ptr)->send(length);
    return 0;
  }

  static ssize_t read_stream(nghttp2_session*, std::int32_t, std::uint8_t*, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source* source, void*) {
    return static_cast<h2_stream*>(source->ptr)->read(length, flags);
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source* source, void*) {
    request& r = *static_cast<request*>(source->ptr);
    std::size_t const n = std::min(length, r.response.size() - r.response_sent);
    std::copy_n(r.response.data() + r.response_sent, n, buf);
    r.response_sent += n;
    if (r.response_sent == r.response.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int begin_headers(nghttp2_session* session, nghttp2_frame const* f, void* user_data) {
    h2_connection& c = of(user_data);
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    if (!c.count_open()) return 0;  // GOAWAY is on its way; this request is not served
    auto r = std::make_unique<request>(f->hd.stream_id);
    nghttp2_session_set_stream_user_data(session, f->hd.stream_id, r.get());
    c.requests_[f->hd.stream_id] = std::move(r);
    c.update_idle();
    return 0;
  }

  static int header(nghttp2_session*, nghttp2_frame const* f, std::uint8_t const* name_data,
                    std::size_t name_length, std::uint8_t const* value_data,
                    std::size_t value_length, std::uint8_t, void* user_data) {
    h2_connection& c = of(user_data);
    request* r = c.find(f->hd.stream_id);
    if (r == nullptr || r->answered) return 0;
    // The same accounting as SETTINGS_MAX_HEADER_LIST_SIZE: each field costs 32 bytes more.
    r->head_bytes += name_length + value_length + 32;
    if (r->head_bytes > max_request_head) r->head_too_large = true;
    if (r->head_too_large) return 0;
    std::string_view const name = view(name_data, name_length);
    std::string_view const value = view(value_data, value_length);
    auto join = [value](std::string& to, std::string_view separator) {
      if (!to.empty()) to += separator;
      to += value;
    };
    if (name == ":method") {
      r->method = value;
    } else if (name == ":path") {
      r->path = value;
    } else if (name == "authorization") {
      r->authorization = value;
    } else if (name == "cookie") {
      join(r->cookie, "; ");  // HTTP/2 may split cookies into several fields (RFC 9113 8.2.3)
    } else if (name == "accept") {
      join(r->accept, ", ");
    } else if (name == "content-type") {
      r->content_type = value;
      r->has_content_type = true;
    } else if (name == "last-event-id") {
      r->last_event_id = value;
      r->has_last_event_id = true;
    } else if (name == "content-length") {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc() && end == value.data() + value.size()) r->content_length = n;
    }
    return 0;
  }

  static int frame_recv(nghttp2_session*, nghttp2_frame const* f, void* user_data) {
    h2_connection& c = of(user_data);
    if (f->hd.type == NGHTTP2_RST_STREAM) {
      c.count_reset();
      return 0;
    }
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) return 0;
    request* r = c.find(f->hd.stream_id);
    if (r == nullptr) return 0;
    bool const ended = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST && !r->answered) {
      request_view head = c.view_of(*r);
      if (r->head_too_large) {
        c.answer_with(*r, c.router_.head_too_large(), head);
        return 0;
      }
      if (c.router_.is_publish(head)) {
        // Checked before the body: a refused publisher does not get to send it first.
        if (std::optional<answer> refused = c.router_.admit_publish(head, c.peer_)) {
          c.answer_with(*r, *refused, head);
          return 0;
        }
      }
      r->body_limit = c.router_.body_limit(head);
    }
    if (ended && !r->answered) c.dispatch(*r);
    return 0;
  }

  static int data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                        std::uint8_t const* data, std::size_t length, void* user_data) {
    h2_connection& c = of(user_data);
    request* r = c.find(stream_id);
    if (r == nullptr) return 0;
    if (r->answered) {
      // Answered early (431, 413, a refused publish): the rest of the body is dropped as it
      // comes, as clients (curl) want to finish sending before they read the answer; but not
      // without end (RFC 9113 8.1 allows resetting the stream).
      r->discarded += length;
      if (r->discarded > max_discarded_body && r->discarded - length <= max_discarded_body)
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    if (r->body.size() + length > r->body_limit) {
      request_view head = c.view_of(*r);
      r->body.clear();
      c.answer_with(*r, c.router_.body_too_large(head), head);
      return 0;
    }
    r->body.append(reinterpret_cast<char const*>(data), length);
    return 0;
  }

  static int stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                          void* user_data) {
    of(user_data).stream_done(stream_id, error_code);
    return 0;
  }
};

h2_connection::h2_connection(stream_context& ctx, std::string peer)
    : ctx_(ctx), router_(ctx), peer_(std::move(peer)) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_send_callback(cb, callbacks::send);
  nghttp2_session_callbacks_set_send_data_callback(cb, callbacks::send_data);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, callbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, callbacks::data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, callbacks::stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, hpack_table_size);
  // Closed streams are kept only for RFC 7540's priority tree; memory per stream matters more.
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_session_server_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
}

h2_connection::~h2_connection() {
  // The hub may be gone already (the server's io_context is destroyed last): only forget.
  for (auto& [id, r] : requests_) {
    if (r->stream) r->stream->forget_connection();
  }
  nghttp2_session_del(session_);
}

void h2_connection::begin(std::string_view already_read) {
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, ctx_.config.h2_max_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, max_request_head},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, hpack_table_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  update_idle();
  received(already_read);
}

void h2_connection::received(std::string_view bytes) {
  if (closed_) return;
  ssize_t const rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
  if (rv < 0 && !closing_) {
    // nghttp2 has queued a GOAWAY for a protocol error where it can: send it, then close.
    if (ctx_.config.verbose)
      tools::info("client " + peer_ +
                  " broke the HTTP/2 protocol: " + nghttp2_strerror(static_cast<int>(rv)));
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
  update_idle();
  flush();
}

void h2_connection::flush() {
  flush_posted_ = false;
  if (closed_ || writing_) return;
  int const rv = nghttp2_session_send(session_);
  if (rv != 0) {
    fail("cannot send", rv);
    return;
  }
  if (pieces_.empty()) {
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0)
      transport_closed("ended");  // GOAWAY exchanged, or every stream over after a GOAWAY
    return;
  }
  buffers_.clear();
  for (piece const& p : pieces_) {
    buffers_.emplace_back(p.data != nullptr ? p.data : out_.data() + p.offset, p.size);
  }
  writing_ = true;
  start_write(buffers_);
}

void h2_connection::written(bool ok) {
  writing_ = false;
  out_.clear();
  if (out_.capacity() > (std::size_t{64} << 10)) std::string().swap(out_);
  pieces_.clear();
  held_.clear();
  queued_ = 0;
  if (!ok) {
    transport_closed("write failed");
    return;
  }
  flush();
}

void h2_connection::append_copy(std::string_view bytes) {
  if (!pieces_.empty() && pieces_.back().data == nullptr &&
      pieces_.back().offset + pieces_.back().size == out_.size()) {
    pieces_.back().size += bytes.size();
  } else {
    pieces_.push_back({nullptr, out_.size(), bytes.size()});
  }
  out_.append(bytes);
  queued_ += bytes.size();
}

void h2_connection::append_reference(frame const& f, std::string_view bytes) {
  held_.push_back(f);
  pieces_.push_back({bytes.data(), 0, bytes.size()});
  queued_ += bytes.size();
}

void h2_connection::resume(std::int32_t stream_id) {
  if (closed_) return;
  nghttp2_session_resume_data(session_, stream_id);
  if (!flush_posted_ && !writing_) {
    flush_posted_ = true;
    post_flush();
  }
}

void h2_connection::reset(std::int32_t stream_id, std::uint32_t error_code) {
  if (closed_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, error_code);
  if (!flush_posted_ && !writing_) {
    flush_posted_ = true;
    post_flush();
  }
}

h2_connection::request* h2_connection::find(std::int32_t stream_id) {
  auto it = requests_.find(stream_id);
  return it == requests_.end() ? nullptr : it->second.get();
}

request_view h2_connection::view_of(request const& r) const {
  request_view v;
  v.method = method_of(r.method);
  v.target = r.path;
  v.authorization = r.authorization;
  v.cookie = r.cookie;
  v.accept = r.accept;
  if (r.has_content_type) v.content_type = r.content_type;
  if (r.has_last_event_id) v.last_event_id = r.last_event_id;
  v.content_length = r.content_length;
  v.body = r.body;
  v.protocol = "h2";
  return v;
}

void h2_connection::dispatch(request& r) {
  request_view v = view_of(r);
  answer a = router_.route(v, peer_);
  answer_with(r, a, v);
}

void h2_connection::answer_with(request& r, answer const& a, request_view const& view) {
  r.answered = true;
  switch (a.what) {
    case answer::kind::response: {
      std::string content_length = std::to_string(a.body.size());
      header_fields headers = a.headers;
      if (a.status != 204) headers.emplace_back("content-length", std::move(content_length));
      submit(r, a.status, headers, a.content_type, a.head_only ? std::string() : a.body,
             !a.head_only && !a.body.empty());
      return;
    }
    case answer::kind::stream_head:
      submit(r, 200, stream_headers(ctx_.config), {}, {}, false);
      return;
    case answer::kind::turn_away:
      submit(r, 200, stream_headers(ctx_.config), {}, a.body, true);
      return;
    case answer::kind::stream:
      start_stream(r, a, view);
      return;
    case answer::kind::publish: {
      // The answer may come later (--redis): by then the client may have reset the stream, or
      // the connection may be gone.
      std::weak_ptr<char> alive = alive_;
      std::int32_t const id = r.id;
      router_.publish(view, peer_, [this, alive, id](answer later) {
        if (alive.expired() || closed_) return;
        request* req = find(id);
        if (req == nullptr) return;
        answer_with(*req, later, request_view{});
        if (!flush_posted_ && !writing_) {
          flush_posted_ = true;
          post_flush();
        }
      });
      return;
    }
  }
}

void h2_connection::submit(request& r, unsigned status, header_fields const& headers,
                           std::string_view content_type, std::string body, bool with_body) {
  std::string const status_text = std::to_string(status);
  std::vector<std::string> names;
  names.reserve(headers.size());
  std::vector<nghttp2_nv> nv;
  nv.reserve(headers.size() + 3);
  auto add = [&nv](std::string_view name, std::string_view value) {
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), NGHTTP2_NV_FLAG_NONE});
  };
  add(":status", status_text);
  add("server", "sse-serve");
  if (!content_type.empty()) add("content-type", content_type);
  for (auto const& [name, value] : headers) {
    names.push_back(lower(name));  // HTTP/2 field names are lower case
    if (connection_specific(names.back())) continue;
    add(names.back(), value);
  }
  r.response = std::move(body);
  r.response_sent = 0;
  nghttp2_data_provider provider{};
  provider.source.ptr = &r;
  provider.read_callback = callbacks::read_body;
  // nghttp2 copies the fields now; the body is read from r.response as frames go out.
  nghttp2_submit_response(session_, r.id, nv.data(), nv.size(), with_body ? &provider : nullptr);
}

void h2_connection::start_stream(request& r, answer const& a, request_view const& view) {
  std::string label = peer_;
  label.insert(label.size() - 1, ", stream " + std::to_string(r.id));  // "ADDR (h2 tls, stream 3)"
  r.stream = std::make_shared<h2_stream>(*this, r.id, ctx_, std::move(label));
  ++event_streams_;
  router_.start_stream(r.stream, a, view);
  // The request's fields are not needed any more: an idle stream costs what it must only.
  r.method = r.path = r.authorization = r.cookie = r.accept = r.content_type = r.last_event_id =
      std::string();
  header_fields const headers = stream_headers(ctx_.config);
  std::vector<std::string> names;
  std::vector<nghttp2_nv> nv;
  names.reserve(headers.size());
  auto add = [&nv](std::string_view name, std::string_view value) {
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), NGHTTP2_NV_FLAG_NONE});
  };
  add(":status", "200");
  add("server", "sse-serve");
  for (auto const& [name, value] : headers) {
    names.push_back(lower(name));
    if (connection_specific(names.back())) continue;
    add(names.back(), value);
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = r.stream.get();
  provider.read_callback = callbacks::read_stream;
  nghttp2_submit_response(session_, r.id, nv.data(), nv.size(), &provider);
  update_idle();
}

void h2_connection::stream_done(std::int32_t stream_id, std::uint32_t error_code) {
  auto it = requests_.find(stream_id);
  if (it == requests_.end()) return;
  std::unique_ptr<request> r = std::move(it->second);
  requests_.erase(it);
  if (r->stream) {
    --event_streams_;
    r->stream->transport_closed(error_code == NGHTTP2_NO_ERROR ? "ended"
                                                               : "client closed the stream");
  }
  update_idle(true);
}

void h2_connection::update_idle(bool completed) {
  if (closed_ || closing_) return;
  // Armed while no event stream is open: a connection that only makes requests must complete
  // one every --request-timeout, and one with nothing open closes after that long.
  if (event_streams_ > 0) {
    if (idle_armed_) cancel_timer();
    idle_armed_ = false;
    return;
  }
  if (!idle_armed_ || (completed && requests_.empty())) {
    idle_armed_ = true;
    arm_timer(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(ctx_.config.request_timeout)));
  }
}

void h2_connection::idle_expired() {
  if (closed_) return;
  if (closing_) {  // the GOAWAY did not get out in time either
    transport_closed("timed out");
    return;
  }
  idle_armed_ = false;
  if (event_streams_ > 0) return;
  closing_ = true;
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  arm_timer(std::chrono::seconds(2));
  flush();
}

bool h2_connection::count_open() {
  auto const now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    resets_ = opens_ = 0;
  }
  if (++opens_ > h2_max_opens_per_second) {
    calm_down("opened more than 10000 streams in a second");
    return false;
  }
  return true;
}

void h2_connection::count_reset() {
  auto const now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    resets_ = opens_ = 0;
  }
  if (++resets_ > h2_max_resets_per_second)
    calm_down("cancelled more than 200 streams in a second (rapid reset)");
}

void h2_connection::calm_down(char const* what) {
  if (closing_) return;
  closing_ = true;
  if (!ctx_.config.quiet) tools::warning("client " + peer_ + " " + what + "; sent GOAWAY");
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
  arm_timer(std::chrono::seconds(2));
}

void h2_connection::fail(char const* what, int code) {
  if (ctx_.config.verbose)
    tools::info("client " + peer_ + ": HTTP/2 " + what + ": " + nghttp2_strerror(code));
  transport_closed("HTTP/2 error");
}

void h2_connection::transport_closed(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  cancel_timer();
  close_transport();
  // Every open stream ends with the connection (each leaves the hub and is logged).
  std::unordered_map<std::int32_t, std::unique_ptr<request>> requests;
  requests.swap(requests_);
  for (auto& [id, r] : requests) {
    if (r->stream) r->stream->transport_closed(why == "ended" ? "connection closed" : why);
  }
  event_streams_ = 0;
}

}  // namespace sse::serve
