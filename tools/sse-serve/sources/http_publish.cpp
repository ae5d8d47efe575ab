#include "sources/http_publish.hpp"

#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <sse/parser.hpp>

#include "common/header.hpp"
#include "sources/json_event.hpp"

namespace sse::serve {
namespace {

enum class body_kind { text, json, sse, other };

body_kind kind_of(std::string_view content_type) {
  std::string_view const type = tools::trim_ows(content_type.substr(0, content_type.find(';')));
  // No type, or what curl --data sends, is taken as text: that is what such a body usually is.
  if (type.empty() || tools::iequals(type, "text/plain") ||
      tools::iequals(type, "application/x-www-form-urlencoded")) {
    return body_kind::text;
  }
  if (tools::iequals(type, "application/json")) return body_kind::json;
  if (tools::iequals(type, "text/event-stream")) return body_kind::sse;
  return body_kind::other;
}

// Why a body is not JSON, and at which byte. nlohmann's exceptions differ here (a number beyond a
// double's range, 1e999, is an out_of_range without a position), but its SAX interface is told
// the byte and the token for every error alike.
class json_error_finder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string error;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, string_t const&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t byte, std::string const& token,
                   nlohmann::detail::exception const& e) override {
    error = "invalid JSON at byte " + std::to_string(byte) + ": " +
            (e.id == 406 ? "a number too large for a double: " + token : std::string(e.what()));
    return false;
  }
};

publish_result failed(std::string error, unsigned status = 400) {
  publish_result r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

// Collects the events of a text/event-stream body; a retry field goes with the next event.
class sse_collector final : public sse::handler {
 public:
  sse_collector(std::vector<source_event>& out, std::string const& topic)
      : out_(out), topic_(topic) {}
  sse::action on_event(sse::event_view const& ev) override {
    source_event e;
    e.data.assign(ev.data);
    if (ev.type != "message") e.type.assign(ev.type);
    // The parser's id persists across events; only an id given for this event is its own.
    if (ev.own_id && !ev.id.empty()) e.id.emplace(ev.id);
    e.retry = retry_;
    retry_.reset();
    e.topic = topic_;
    out_.push_back(std::move(e));
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { retry_ = ms; }

 private:
  std::vector<source_event>& out_;
  std::string const& topic_;
  std::optional<std::uint64_t> retry_;
};

std::string problem_of(source_event const& ev) {
  sse::event e;
  e.data = ev.data;
  e.type = ev.type;
  if (ev.id) e.id = std::string_view(*ev.id);
  if (sse::encode_error err = sse::validate(e); err != sse::encode_error::none)
    return sse::to_string(err);
  if (!ev.topic.empty()) return topic_problem(ev.topic);
  return {};
}

}  // namespace

bool publishable_type(std::string_view content_type) {
  return kind_of(content_type) != body_kind::other;
}

publish_result parse_publish(std::string_view content_type, std::string_view body,
                             publish_defaults const& defaults) {
  publish_result r;
  switch (kind_of(content_type)) {
    case body_kind::other:
      return failed(
          "Content-Type '" + std::string(content_type) +
              "' is not one publish takes: text/plain, application/json or text/event-stream",
          415);
    case body_kind::text: {
      // One trailing line break is the end of the text, not an empty last line (echo | curl).
      if (body.size() >= 2 && body.substr(body.size() - 2) == "\r\n") {
        body.remove_suffix(2);
      } else if (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
        body.remove_suffix(1);
      }
      source_event ev;
      ev.data.assign(body);
      ev.type = defaults.type;
      ev.id = defaults.id;
      ev.topic = defaults.topic;
      r.events.push_back(std::move(ev));
      break;
    }
    case body_kind::json: {
      nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        json_error_finder finder;
        nlohmann::json::sax_parse(body, &finder);
        return failed(finder.error.empty() ? "invalid JSON" : finder.error);
      }
      auto one = [&](nlohmann::json const& item, std::string const& where) -> std::string {
        source_event ev;
        ev.type = defaults.type;
        ev.topic = defaults.topic;
        if (std::string problem = event_from_json(item, ev); !problem.empty())
          return where + problem;
        r.events.push_back(std::move(ev));
        return {};
      };
      if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
          if (std::string problem = one(j[i], "item " + std::to_string(i) + ": ");
              !problem.empty()) {
            return failed(problem);
          }
        }
      } else if (std::string problem = one(j, ""); !problem.empty()) {
        return failed(problem);
      }
      break;
    }
    case body_kind::sse: {
      sse_collector collect(r.events, defaults.topic);
      sse::parser_options po;
      po.max_event_size = 0;  // the request body is bounded already (--max-publish)
      sse::parser parser(collect, po);
      parser.feed(body);
      if (std::size_t cut = parser.finish(); cut > 0) {
        return failed("the body ends inside an event (its last " + std::to_string(cut) +
                      " bytes): end every event with a blank line");
      }
      break;
    }
  }
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    if (std::string problem = problem_of(r.events[i]); !problem.empty()) {
      return failed(r.events.size() == 1 ? problem : "event " + std::to_string(i) + ": " + problem);
    }
  }
  return r;
}

}  // namespace sse::serve
