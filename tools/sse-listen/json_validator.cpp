#include "json_validator.hpp"

#include <simdjson.h>

namespace sse::listen {

json_validator::json_validator() : parser_(std::make_unique<simdjson::dom::parser>()) {}
json_validator::~json_validator() = default;
json_validator::json_validator(json_validator&&) noexcept = default;
json_validator& json_validator::operator=(json_validator&&) noexcept = default;

std::string_view trim_json_whitespace(std::string_view text) {
  constexpr std::string_view whitespace = " \t\n\r";
  std::size_t const first = text.find_first_not_of(whitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(whitespace) - first + 1);
}

bool json_validator::valid(std::string_view text) {
  std::string_view const value = trim_json_whitespace(text);
  if (value.empty()) return false;
  // Only these bytes can begin a JSON value: other data (plain text, most sentinels) is turned
  // away without a parse.
  char const c = value.front();
  bool const may_begin = c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') ||
                         c == 't' || c == 'f' || c == 'n';
  if (!may_begin) return false;
  // parse() copies the text into a padded buffer it keeps (simdjson reads up to 64 bytes past
  // the end), so the event's view need not be padded. Errors come back as codes, never thrown.
  if (value.size() >= large) {
    simdjson::dom::parser once;
    return once.parse(value.data(), value.size()).error() == simdjson::SUCCESS;
  }
  return parser_->parse(value.data(), value.size()).error() == simdjson::SUCCESS;
}

}  // namespace sse::listen
