#include "line_decoder.hpp"

#include <nlohmann/json.hpp>
#include <utility>

namespace sse::serve {

class line_decoder::sse_handler final : public sse::handler {
 public:
  explicit sse_handler(line_decoder& d) : decoder_(d) {}
  sse::action on_event(sse::event_view const& ev) override {
    source_event out;
    out.data.assign(ev.data);
    if (ev.type != "message") out.type.assign(ev.type);
    // The parser's id persists across events; only an id this event set is re-sent as its own.
    if (!ev.id.empty() && ev.id != previous_id_) out.id.emplace(ev.id);
    previous_id_.assign(ev.id);
    decoder_.events_(std::move(out));
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { decoder_.retries_(ms); }

 private:
  line_decoder& decoder_;
  std::string previous_id_;
};

line_decoder::line_decoder(input_format format, std::string event_type, std::size_t max_line,
                           event_sink events, retry_sink retries, warning_sink warnings)
    : format_(format),
      event_type_(std::move(event_type)),
      events_(std::move(events)),
      retries_(std::move(retries)),
      warnings_(std::move(warnings)) {
  if (format_ == input_format::sse) {
    handler_ = std::make_unique<sse_handler>(*this);
    sse::parser_options po;
    po.max_event_size = max_line == 0 ? 0 : max_line * 4;
    parser_ = std::make_unique<sse::parser>(*handler_, po);
  }
}

line_decoder::~line_decoder() = default;

void line_decoder::line(std::string_view text, std::uint64_t number) {
  switch (format_) {
    case input_format::lines: {
      source_event ev;
      sse::append_utf8_repaired(ev.data, text);
      ev.type = event_type_;
      events_(std::move(ev));
      break;
    }
    case input_format::json:
      json_line(text, number);
      break;
    case input_format::sse: {
      repaired_.clear();
      repaired_.append(text).push_back('\n');
      parser_->feed(repaired_);
      if (parser_->error() != sse::parse_error::none) {
        warnings_(number, std::string("SSE input: ") + sse::to_string(parser_->error()) +
                              "; the event is skipped");
        std::string id(parser_->last_event_id());
        parser_->reset();
        parser_->set_last_event_id(id);
      }
      break;
    }
  }
}

void line_decoder::finish(std::uint64_t number) {
  if (format_ == input_format::sse) {
    if (parser_->finish() > 0) warnings_(number, "SSE input ended inside an event; it is dropped");
  }
}

void line_decoder::json_line(std::string_view text, std::uint64_t number) {
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank lines are no events
  using nlohmann::json;
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    warnings_(number, "not valid JSON; skipped");
    return;
  }
  if (!j.is_object()) {
    warnings_(number, "expected a JSON object like {\"data\":\"...\"}; skipped");
    return;
  }
  source_event ev;
  ev.type = event_type_;
  auto text_of = [&](json const& v, std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else {
      out = v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  };
  if (auto it = j.find("data"); it != j.end() && !it->is_null()) text_of(*it, ev.data);
  if (auto it = j.find("event"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      warnings_(number, "\"event\" must be a string; skipped");
      return;
    }
    ev.type = it->get<std::string>();
  }
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string() && !it->is_number_integer()) {
      warnings_(number, "\"id\" must be a string or an integer; skipped");
      return;
    }
    std::string id;
    text_of(*it, id);
    ev.id = std::move(id);
  }
  if (auto it = j.find("retry"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) {
      warnings_(number, "\"retry\" must be a non-negative integer (milliseconds); skipped");
      return;
    }
    ev.retry = it->get<std::uint64_t>();
  }
  events_(std::move(ev));
}

}  // namespace sse::serve
