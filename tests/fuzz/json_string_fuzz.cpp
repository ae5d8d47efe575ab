// Fuzz target: the JSON string writer both tools share (tools/common/json_writer). For any bytes,
// its output must parse with nlohmann::json as one string equal to the input after the WHATWG
// UTF-8 repair (the same one libsse's parser applies), and what the buffer held before must stay.
// The first byte picks the buffer's existing content (0-31 bytes), whether the writer's first
// size guess is right or zero (so every piece has to grow the buffer), and whether the escaping
// runs its SSE2 variant rather than the SSSE3 one (where the CPU has SSSE3).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sse/encoder.hpp>
#include <string>
#include <string_view>

#include "common/json_writer.hpp"

namespace {

[[noreturn]] void fail(char const* what, std::string_view input, std::string_view output) {
  std::fprintf(stderr, "json_string_fuzz: %s\ninput (%zu bytes), output: %.*s\n", what,
               input.size(), static_cast<int>(output.size()), output.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned const mode = data[0];
  std::string_view const input(reinterpret_cast<char const*>(data + 1), size - 1);

#if SSE_JSON_WRITER_SSSE3
  static bool const ssse3 = sse::tools::detail::use_ssse3();
  sse::tools::detail::use_ssse3() = ssse3 && (mode & 0x80u) == 0;
#endif
  std::string const prefix(mode & 0x1Fu, 'p');
  std::string out = prefix;
  if ((mode & 0x20u) != 0) {
    sse::tools::json_writer w(out, (mode & 0x40u) != 0 ? 0 : input.size() + 2);
    w.string(input);
  } else {
    sse::tools::append_json_string(out, input);
  }

  if (out.compare(0, prefix.size(), prefix) != 0)
    fail("the buffer's earlier content changed", input, out);
  std::string_view const written = std::string_view(out).substr(prefix.size());
  auto const parsed = nlohmann::json::parse(written, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) fail("the output is not valid JSON", input, written);
  if (!parsed.is_string()) fail("the output is not one JSON string", input, written);

  std::string expected;
  if (sse::is_valid_utf8(input)) {
    expected.assign(input);
  } else {
    sse::append_utf8_repaired(expected, input);
  }
  if (parsed.get_ref<std::string const&>() != expected) {
    fail("the string does not give back the (repaired) input", input, written);
  }
  return 0;
}
