#include <cstring>
#include <sse/encoder.hpp>

#include "utf8.hpp"

namespace sse {
namespace {

bool has_line_break(std::string_view s) noexcept {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

std::size_t decimal_digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

void append_decimal(std::string& out, std::uint64_t v) {
  char buf[20];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(end - p));
}

// Calls f(line) for each line of text split at CRLF, LF and lone CR. An empty text is one empty
// line, and a trailing line break yields a final empty line: both are needed for exact round trips.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  char const* p = text.data();
  char const* const end = p + text.size();
  while (true) {
    char const* q = p;
    while (q != end && *q != '\n' && *q != '\r') ++q;
    f(std::string_view(p, static_cast<std::size_t>(q - p)));
    if (q == end) return;
    p = q + 1;
    if (*q == '\r' && p != end && *p == '\n') ++p;
  }
}

// "NAME: value\n", or "NAME\n" alone for an empty value (both parse to the empty string).
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  if (!value.empty()) {
    out.append(": ", 2);
    out.append(value);
  }
  out.push_back('\n');
}

std::size_t field_size(std::size_t name, std::size_t value) noexcept {
  return name + (value == 0 ? 0 : 2 + value) + 1;
}

}  // namespace

char const* to_string(encode_error e) noexcept {
  switch (e) {
    case encode_error::none:
      return "no error";
    case encode_error::id_has_line_break:
      return "event id contains a line break (CR or LF)";
    case encode_error::id_has_nul:
      return "event id contains a NUL character";
    case encode_error::type_has_line_break:
      return "event type contains a line break (CR or LF)";
    case encode_error::invalid_utf8:
      return "event field is not valid UTF-8";
  }
  return "unknown encode error";
}

encode_error validate(event const& ev) noexcept {
  if (ev.id) {
    if (has_line_break(*ev.id)) return encode_error::id_has_line_break;
    if (ev.id->find('\0') != std::string_view::npos) return encode_error::id_has_nul;
    if (!detail::valid_utf8(ev.id->data(), ev.id->size())) return encode_error::invalid_utf8;
  }
  if (has_line_break(ev.type)) return encode_error::type_has_line_break;
  if (!detail::valid_utf8(ev.type.data(), ev.type.size()) ||
      !detail::valid_utf8(ev.data.data(), ev.data.size())) {
    return encode_error::invalid_utf8;
  }
  return encode_error::none;
}

std::size_t encoded_size(event const& ev) noexcept {
  std::size_t n = 0;
  if (!ev.type.empty()) n += field_size(5, ev.type.size());
  if (ev.id) n += field_size(2, ev.id->size());
  if (ev.retry) n += field_size(5, decimal_digits(*ev.retry));
  for_each_line(ev.data, [&](std::string_view line) { n += field_size(4, line.size()); });
  return n + 1;
}

encode_error encode(std::string& out, event const& ev) {
  if (encode_error e = validate(ev); e != encode_error::none) return e;
  if (!ev.type.empty()) append_field(out, "event", ev.type);
  if (ev.id) append_field(out, "id", *ev.id);
  if (ev.retry) {
    out.append("retry: ", 7);
    append_decimal(out, *ev.retry);
    out.push_back('\n');
  }
  for_each_line(ev.data, [&](std::string_view line) { append_field(out, "data", line); });
  out.push_back('\n');
  return encode_error::none;
}

void encode_comment(std::string& out, std::string_view text) {
  for_each_line(text, [&](std::string_view line) {
    out.push_back(':');
    if (!line.empty()) {
      out.push_back(' ');
      out.append(line);
    }
    out.push_back('\n');
  });
}

void encode_retry(std::string& out, std::uint64_t milliseconds) {
  out.append("retry: ", 7);
  append_decimal(out, milliseconds);
  out.append("\n\n", 2);
}

}  // namespace sse
