// Fuzz target: sse-listen's --json --json-data output (printer + json_validator + json_writer).
// The rest of the input, repaired to UTF-8 as libsse's parser would report it, is an event's data.
// The printed line must be one line of valid JSON (nlohmann::json) with the contract's keys, and
// the data must round-trip: printed as a JSON value, it equals the data parsed by nlohmann (so
// simdjson never accepts what nlohmann refuses) and its bytes are the data's own (whitespace
// around it dropped, line breaks as spaces); printed as a string, it equals the data, and the line
// is what --json alone prints. The first byte picks the type and id (the short or the general
// path), and whether the same printer first printed another event (state kept across events).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <string>
#include <string_view>

#include "json_validator.hpp"
#include "printer.hpp"

namespace {

[[noreturn]] void fail(char const* what, std::string_view data, std::string_view line) {
  std::fprintf(stderr, "json_data_fuzz: %s\ndata (%zu bytes), line: %.*s\n", what, data.size(),
               static_cast<int>(line.size()), line.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* bytes, std::size_t size) {
  if (size == 0) return 0;
  unsigned const mode = bytes[0];
  std::string_view const input(reinterpret_cast<char const*>(bytes + 1), size - 1);
  std::string data;
  if (sse::is_valid_utf8(input)) {
    data.assign(input);
  } else {
    sse::append_utf8_repaired(data, input);
  }
  bool const plain = (mode & 1u) == 0;
  sse::event_view const ev{plain ? "message" : "t\"\xC3\xA9", data, plain ? "" : "7\\"};

  sse::listen::printer with(sse::listen::output_format::json, false, true);
  std::string line;
  if ((mode & 2u) != 0) {
    with.print({"message", "{\"warm\":[1,2,3]}", ""}, line);
    line.clear();
  }
  with.print(ev, line);

  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1 ||
      line.find('\r') != std::string::npos) {
    fail("the output is not one line", data, line);
  }
  auto const parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || parsed.size() != 3) {
    fail("the output is not one JSON object of three keys", data, line);
  }
  if (line.rfind("{\"event\":", 0) != 0 || parsed["event"] != ev.type || parsed["id"] != ev.id) {
    fail("event or id is wrong", data, line);
  }
  nlohmann::json const& printed = parsed["data"];
  if (printed.is_string() && printed.get_ref<std::string const&>() == data) {
    std::string plain_line;
    sse::listen::printer(sse::listen::output_format::json, false).print(ev, plain_line);
    if (plain_line != line) fail("a string differs from what --json alone prints", data, line);
    return 0;
  }
  // Printed as a value: the data must be that JSON value.
  auto const expected = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (expected.is_discarded()) fail("data that is not JSON was printed as a value", data, line);
  if (printed != expected) fail("the value is not the data's", data, line);
  std::string copied(sse::listen::trim_json_whitespace(data));
  for (char& c : copied) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string const head =
      plain ? "{\"event\":\"message\",\"data\":" : "{\"event\":\"t\\\"\xC3\xA9\",\"data\":";
  if (line.compare(0, head.size(), head) != 0 ||
      line.compare(head.size(), copied.size(), copied) != 0) {
    fail("the value's bytes are not the data's own", data, line);
  }
  return 0;
}
