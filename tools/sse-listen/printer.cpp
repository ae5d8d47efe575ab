#include "printer.hpp"

#include <sse/encoder.hpp>

#include "common/diagnostics.hpp"
#include "common/json_writer.hpp"

namespace sse::listen {
namespace {

// Appends each line of data (lines end at LF) with label in front, each ending with LF.
void append_labelled_lines(std::string& out, std::string_view data, std::string_view label) {
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

printer::printer(output_format format, bool colour, bool json_data)
    : format_(format), colour_(colour), json_data_(json_data) {}

void printer::print(event_view const& ev, std::string& out) {
  switch (format_) {
    case output_format::json:
      print_json(ev, out);
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

// {"event":TYPE,"data":DATA,"id":ID}. With --json-data, DATA that is one valid JSON value is
// copied in as that value: without the whitespace around it, and with its line breaks (in valid
// JSON only ever whitespace between tokens: multi-line data) turned into spaces, so each event
// stays one line. Anything else is a string, as without the option.
void printer::print_json(event_view const& ev, std::string& out) {
  // {"event":"T","data":"D","id":"I"}\n is 34 bytes around the three strings.
  tools::json_writer w(out, ev.type.size() + ev.data.size() + ev.id.size() + 34);
  auto data = [&] {
    if (json_data_ && validator_.valid(ev.data)) {
      w.json_text(trim_json_whitespace(ev.data));
    } else {
      w.utf8_string(ev.data);
    }
  };
  if (ev.type == "message" && ev.id.empty()) {  // the usual event: 1 string, not 3
    w.put("{\"event\":\"message\",\"data\":");
    data();
    w.put(",\"id\":\"\"}\n");
    return;
  }
  w.put("{\"event\":");
  w.utf8_string(ev.type);
  w.put(",\"data\":");
  data();
  w.put(",\"id\":");
  w.utf8_string(ev.id);
  w.put("}\n");
}

// The data alone for a default event; otherwise each data line prefixed by "[TYPE #ID] ". The
// label is built in a buffer kept across events: a std::string made per event would allocate for
// most labels, longer than its 15 bytes of inline room.
void printer::print_text(event_view const& ev, std::string& out) {
  bool default_type = ev.type == "message";
  if (default_type && ev.id.empty()) {
    out.append(ev.data).push_back('\n');
    return;
  }
  std::string& label = label_;
  label.clear();
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
  append_labelled_lines(out, ev.data, label);
}

// The id is written when it changed since the last event written (so a reset to "" is relayed
// too); the default type is left implicit, as it was on the wire.
void printer::print_sse(event_view const& ev, std::string& out) {
  sse::event e;
  e.data = ev.data;
  if (ev.type != "message") e.type = ev.type;
  // The event's own id line is kept as the source wrote it (even one repeating the id before);
  // an id the event inherits is written only when it differs from the one last written, which
  // happens after an "id:" in a block that dispatched nothing: the copy keeps the same ids.
  bool id_changed = ev.own_id || ev.id != sse_last_id_;
  if (id_changed) e.id = ev.id;
  if (auto err = sse::encode(out, e); err != encode_error::none) {
    sse::tools::warning(std::string("cannot re-encode an event: ") + sse::to_string(err));
    return;
  }
  if (id_changed) sse_last_id_.assign(ev.id);
}

}  // namespace sse::listen
