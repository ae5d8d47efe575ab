#include "printer.hpp"

#include <array>
#include <cstdint>

#include <sse/encoder.hpp>

#include "common/diagnostics.hpp"

namespace sse::listen {
namespace {

// 0: copy as is; 1: needs an escape; 2: start of a multi-byte (or invalid) UTF-8 sequence.
constexpr std::array<unsigned char, 256> byte_class = [] {
  std::array<unsigned char, 256> t{};
  for (unsigned c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (unsigned c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}();

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// The length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or, when invalid, the
// negative length of its maximal invalid subpart (always at least one byte).
long utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the first continuation byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return -1;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return -static_cast<long>(k);
    unsigned char c = byte(i + k);
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (c < l || c > h) return -static_cast<long>(k);
  }
  return static_cast<long>(need + 1);
}

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    default: {
      constexpr char hex[] = "0123456789abcdef";
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      out.append(u, sizeof u);
    }
  }
}

void append_data_lines(std::string& out, std::string_view data, std::string_view label) {
  if (label.empty()) {
    out.append(data).push_back('\n');
    return;
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = data.find('\n', start);
    out.append(label);
    if (nl == std::string_view::npos) {
      out.append(data.substr(start)).push_back('\n');
      return;
    }
    out.append(data.substr(start, nl + 1 - start));
    start = nl + 1;
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0, run = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned char cls = byte_class[c];
    if (cls == 0) {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    if (cls == 1) {
      append_escape(out, c);
      ++i;
    } else {
      long n = utf8_sequence(s, i);
      if (n > 0) {
        out.append(s.data() + i, static_cast<std::size_t>(n));
        i += static_cast<std::size_t>(n);
      } else {
        out.append(replacement);
        i += static_cast<std::size_t>(-n);
      }
    }
    run = i;
  }
  out.append(s.data() + run, i - run);
  out.push_back('"');
}

printer::printer(output_format format, bool colour) : format_(format), colour_(colour) {}

void printer::print(event_view const& ev, std::string& out) {
  switch (format_) {
    case output_format::json:
      out.append("{\"event\":");
      append_json_string(out, ev.type);
      out.append(",\"data\":");
      append_json_string(out, ev.data);
      out.append(",\"id\":");
      append_json_string(out, ev.id);
      out.append("}\n");
      return;
    case output_format::sse:
      print_sse(ev, out);
      return;
    case output_format::text:
    case output_format::raw:
      print_text(ev, out);
      return;
  }
}

// The data alone for a default event; otherwise each data line prefixed by "[TYPE #ID] ".
void printer::print_text(event_view const& ev, std::string& out) const {
  bool default_type = ev.type == "message";
  if (default_type && ev.id.empty()) {
    append_data_lines(out, ev.data, {});
    return;
  }
  std::string label;
  if (colour_) label.append("\x1b[36m");
  label.push_back('[');
  if (!default_type) label.append(ev.type);
  if (!ev.id.empty()) {
    if (!default_type) label.push_back(' ');
    label.push_back('#');
    label.append(ev.id);
  }
  label.push_back(']');
  if (colour_) label.append("\x1b[0m");
  label.push_back(' ');
  append_data_lines(out, ev.data, label);
}

// The id is written when it changed since the last event written (so a reset to "" is relayed
// too); the default type is left implicit, as it was on the wire.
void printer::print_sse(event_view const& ev, std::string& out) {
  sse::event e;
  e.data = ev.data;
  if (ev.type != "message") e.type = ev.type;
  bool id_changed = ev.id != sse_last_id_;
  if (id_changed) e.id = ev.id;
  if (auto err = sse::encode(out, e); err != encode_error::none) {
    sse::tools::warning(std::string("cannot re-encode an event: ") + sse::to_string(err));
    return;
  }
  if (id_changed) sse_last_id_.assign(ev.id);
}

}  // namespace sse::listen
