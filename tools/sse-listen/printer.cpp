#include "printer.hpp"

#include <sse/encoder.hpp>

#include "common/diagnostics.hpp"
#include "common/json_writer.hpp"

namespace sse::listen {
namespace {

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

printer::printer(output_format format, bool colour) : format_(format), colour_(colour) {}

void printer::print(event_view const& ev, std::string& out) {
  switch (format_) {
    case output_format::json: {
      // {"event":"T","data":"D","id":"I"}\n is 34 bytes around the three strings.
      tools::json_writer w(out, ev.type.size() + ev.data.size() + ev.id.size() + 34);
      if (ev.type == "message" && ev.id.empty()) {  // the usual event: 1 string, not 3
        w.put("{\"event\":\"message\",\"data\":");
        w.string(ev.data);
        w.put(",\"id\":\"\"}\n");
        return;
      }
      w.put("{\"event\":");
      w.string(ev.type);
      w.put(",\"data\":");
      w.string(ev.data);
      w.put(",\"id\":");
      w.string(ev.id);
      w.put("}\n");
      return;
    }
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
