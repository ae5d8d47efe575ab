// The HTTP/1.x side of an event stream, with no I/O and no Boost: the 200 response head, the
// chunk framing of the body, and the Last-Event-ID a client resumes from. sse/beast.hpp builds on
// these, and sse-serve uses the same functions, so the bytes on the wire have one owner.
#ifndef SSE_BEAST_HTTP1_HPP
#define SSE_BEAST_HTTP1_HPP

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse::beast {

// Response header fields as (name, value), in the order they are written.
using header_list = std::vector<std::pair<std::string, std::string>>;

// What the adapter sends: EventSource reads the body as UTF-8 whatever the charset says, but
// other consumers (curl into a file, proxies that transcode) take the label at its word.
inline constexpr std::string_view event_stream_content_type = "text/event-stream; charset=utf-8";

// The end of a chunked body.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

namespace detail {

inline bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A name or value that would end its header line early, or start another one, is refused: the
// values often come from configuration or a request (a reflected Origin).
inline void check_field(std::string_view name, std::string_view value) {
  bool good_name = !name.empty();
  for (char c : name) good_name = good_name && is_token_char(c);
  if (!good_name) {
    throw std::invalid_argument("sse::beast: invalid response header name '" + std::string(name) +
                                "'");
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument("sse::beast: the value of response header '" + std::string(name) +
                                "' holds CR, LF or NUL");
  }
}

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte, a stray '%' stays.
inline std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char const c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

inline std::string_view to_std(std::string_view s) noexcept {
  return s;
}
// Beast's (Boost's) string_view, or anything else with data() and size().
template <class View>
std::string_view to_std(View const& s) noexcept {
  return std::string_view(s.data(), s.size());
}

}  // namespace detail

// The header fields of a 200 event-stream response, without HTTP/1.x framing (what an HTTP/2
// response carries): Content-Type, `Cache-Control: no-cache, no-transform` (no cached or
// recompressed copy), `X-Accel-Buffering: no` (nginx passes each event on at once), then
// `Access-Control-Allow-Origin: CORS` (with `Vary: Origin` unless CORS is "*"), then `headers` in
// order. Throws std::invalid_argument for a header name that is not an HTTP token or a value
// holding CR, LF or NUL.
inline header_list stream_fields(std::optional<std::string_view> cors, header_list const& headers,
                                 std::string_view content_type = event_stream_content_type) {
  detail::check_field("Content-Type", content_type);
  if (cors) detail::check_field("Access-Control-Allow-Origin", *cors);
  for (auto const& [name, value] : headers) detail::check_field(name, value);
  header_list h;
  h.reserve(5 + headers.size());
  h.emplace_back("Content-Type", std::string(content_type));
  h.emplace_back("Cache-Control", "no-cache, no-transform");
  h.emplace_back("X-Accel-Buffering", "no");
  if (cors) {
    h.emplace_back("Access-Control-Allow-Origin", std::string(*cors));
    if (*cors != "*") h.emplace_back("Vary", "Origin");
  }
  h.insert(h.end(), headers.begin(), headers.end());
  return h;
}

// The head of a 200 event-stream response over HTTP/1.x: the status line, stream_fields() with
// `Connection: keep-alive` and `Transfer-Encoding: chunked` after its first three fields when
// chunked (an HTTP/1.1 request) or `Connection: close` (HTTP/1.0: the body ends when the
// connection does), then the blank line.
inline std::string stream_head(bool chunked, std::optional<std::string_view> cors,
                               header_list const& headers,
                               std::string_view content_type = event_stream_content_type) {
  header_list const fields = stream_fields(cors, headers, content_type);
  std::string h = "HTTP/1.1 200 OK\r\n";
  for (std::size_t i = 0; i <= fields.size(); ++i) {
    if (i == 3) {
      h += chunked ? "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
                   : "Connection: close\r\n";
    }
    if (i < fields.size())
      h.append(fields[i].first).append(": ").append(fields[i].second).append("\r\n");
  }
  h += "\r\n";
  return h;
}

// Appends the line that opens a chunk of `size` bytes: the size in lowercase hex, then CRLF.
inline void append_chunk_size(std::string& out, std::size_t size) {
  char digits[2 * sizeof(std::size_t)];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[size & 15];
    size >>= 4;
  } while (size != 0);
  while (n != 0) out.push_back(digits[--n]);
  out += "\r\n";
}

// Appends payload as one HTTP/1.1 chunk. An empty payload appends nothing: a chunk of size 0
// would end the body.
inline void append_chunk(std::string& out, std::string_view payload) {
  if (payload.empty()) return;
  append_chunk_size(out, payload.size());
  out.append(payload).append("\r\n");
}

// The Last-Event-ID a client resumes from: the header's value when the request has the header
// (what a reconnecting EventSource sends), else the percent-decoded ?lastEventId= of the target
// (how a page's first request can carry one), else nullopt. An empty value is returned as such.
inline std::optional<std::string> last_event_id(std::optional<std::string_view> header,
                                                std::string_view target) {
  if (header) return std::string(*header);
  std::size_t const question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::string_view const pair = query.substr(0, query.find('&'));
    query.remove_prefix(pair.size() < query.size() ? pair.size() + 1 : pair.size());
    std::string_view const key = pair.substr(0, pair.find('='));
    if (detail::form_decode(key) != "lastEventId") continue;
    return key.size() < pair.size() ? detail::form_decode(pair.substr(key.size() + 1))
                                    : std::string();
  }
  return std::nullopt;
}

// The same from a parsed request: anything with find(name), end() and target(), such as Beast's
// http::request or http::request_header.
template <class Request>
std::optional<std::string> last_event_id(Request const& request) {
  std::optional<std::string_view> header;
  if (auto it = request.find("Last-Event-ID"); it != request.end()) {
    header = detail::to_std(it->value());
  }
  return last_event_id(header, detail::to_std(request.target()));
}

}  // namespace sse::beast

#endif
