// The UTF-8 helpers (is_valid_utf8, append_utf8_repaired) and the parser's decoding, against known
// vectors and against a reference written from the WHATWG Encoding standard's "UTF-8 decoder"
// algorithm, over every short byte string built from the bytes where the rules change.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <sse/parser.hpp>
#include <sse/utf8.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;

struct utf8_vector {
  std::string bytes;
  bool valid;
  std::string repaired;
};

std::vector<utf8_vector> const& utf8_vectors() {
  static std::string const r = "\xEF\xBF\xBD";  // U+FFFD
  static std::vector<utf8_vector> const v = {
      {"", true, ""},
      {"plain ASCII", true, "plain ASCII"},
      {"\0"s, true, "\0"s},
      {"\xC2\x80\xDF\xBF", true, "\xC2\x80\xDF\xBF"},
      {"\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF", true,
       "\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF"},
      {"\xF0\x90\x80\x80\xF4\x8F\xBF\xBF", true, "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"},
      {"\xEF\xBB\xBFx", true, "\xEF\xBB\xBFx"},  // a BOM is an ordinary character here
      {"\xC3", false, r},
      {"a\xC3", false, "a" + r},
      {"\xE2\x82", false, r},
      {"\xF0\x9F\x98", false, r},
      {"\xF0\x9F\x98x", false, r + "x"},
      {"\x80", false, r},
      {"\xBF\x80", false, r + r},
      {"\xC0\xAF", false, r + r},
      {"\xC1\xBF", false, r + r},
      {"\xE0\x80\x80", false, r + r + r},
      {"\xE0\x9F\xBF", false, r + r + r},
      {"\xED\xA0\x80", false, r + r + r},
      {"\xED\xBF\xBF", false, r + r + r},
      {"\xF0\x8F\xBF\xBF", false, r + r + r + r},
      {"\xF4\x90\x80\x80", false, r + r + r + r},
      {"\xF5\x80\x80\x80", false, r + r + r + r},
      {"\xF8\x88\x80\x80\x80", false, r + r + r + r + r},
      {"\xFE\xFF", false, r + r},
      {"\xE2\xE2\x82\xAC", false, r + "\xE2\x82\xAC"},
      // The Unicode Standard's table 3-8 (maximal subparts), which WHATWG follows.
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", false,
       "a" + r + r + r + "b" + r + "c" + r + r + "d"},
      // Long valid run then one bad byte (exercises any vectorised ASCII fast path).
      {std::string(40, 'a') + "\xFF" + std::string(40, 'b'), false,
       std::string(40, 'a') + r + std::string(40, 'b')},
  };
  return v;
}

TEST(utf8, is_valid_utf8_known_vectors) {
  for (auto const& v : utf8_vectors()) {
    EXPECT_EQ(sse::is_valid_utf8(v.bytes), v.valid) << testing::PrintToString(v.bytes);
  }
}

TEST(utf8, append_utf8_repaired_known_vectors) {
  for (auto const& v : utf8_vectors()) {
    std::string out = "<";
    sse::append_utf8_repaired(out, v.bytes);
    EXPECT_EQ(out, "<" + v.repaired) << testing::PrintToString(v.bytes);
    EXPECT_TRUE(sse::is_valid_utf8(out));
  }
}

TEST(utf8, repair_matches_what_the_parser_delivers) {
  for (auto const& v : utf8_vectors()) {
    if (v.bytes.find_first_of("\r\n"s) != std::string::npos) continue;
    auto const events = sse::parse_all("data:" + v.bytes + "\n\n");
    ASSERT_EQ(events.size(), 1u);
    std::string expected;
    sse::append_utf8_repaired(expected, v.bytes);
    EXPECT_EQ(events[0].data, expected) << testing::PrintToString(v.bytes);
  }
}

// The WHATWG "UTF-8 decoder" as the standard writes it (bytes needed/seen, lower/upper boundary,
// a byte outside the boundaries is an error and is processed again), re-encoded to UTF-8 with
// U+FFFD for each error. Returns the number of errors.
std::size_t reference_decode(std::string_view bytes, std::string& out) {
  std::uint32_t code_point = 0;
  int needed = 0, seen = 0;
  unsigned lower = 0x80, upper = 0xBF;
  std::size_t errors = 0;
  auto emit = [&](std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  auto error = [&] {
    ++errors;
    emit(0xFFFD);
  };
  for (std::size_t i = 0; i < bytes.size();) {
    unsigned const b = static_cast<unsigned char>(bytes[i]);
    if (needed == 0) {
      ++i;
      if (b <= 0x7F) {
        emit(b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        code_point = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2;
        code_point = b & 0xF;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3;
        code_point = b & 0x7;
      } else {
        error();
      }
      continue;
    }
    if (b < lower || b > upper) {
      code_point = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      error();  // and the byte is processed again (i is not advanced)
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    code_point = (code_point << 6) | (b & 0x3F);
    if (++seen == needed) {
      emit(code_point);
      code_point = 0;
      needed = seen = 0;
    }
  }
  if (needed != 0) error();  // end of queue inside a sequence
  return errors;
}

void expect_like_reference(std::string const& bytes) {
  std::string expected;
  std::size_t const errors = reference_decode(bytes, expected);
  std::string out = "<";
  sse::append_utf8_repaired(out, bytes);
  ASSERT_EQ(out, "<" + expected) << testing::PrintToString(bytes);
  ASSERT_EQ(sse::is_valid_utf8(bytes), errors == 0) << testing::PrintToString(bytes);
}

TEST(utf8, reference_decoder_agrees_with_the_known_vectors) {
  for (auto const& v : utf8_vectors()) {
    std::string out;
    std::size_t const errors = reference_decode(v.bytes, out);
    EXPECT_EQ(out, v.repaired) << testing::PrintToString(v.bytes);
    EXPECT_EQ(errors == 0, v.valid) << testing::PrintToString(v.bytes);
  }
}

TEST(utf8, every_one_and_two_byte_string) {
  for (unsigned a = 0; a < 256; ++a) {
    expect_like_reference(std::string(1, static_cast<char>(a)));
    for (unsigned b = 0; b < 256; ++b) {
      expect_like_reference(std::string{static_cast<char>(a), static_cast<char>(b)});
    }
  }
}

// The bytes at which the decoder's rules change, plus ASCII.
std::vector<char> const edges = [] {
  std::vector<char> v;
  for (unsigned b :
       {0x00u, 0x41u, 0x7Fu, 0x80u, 0x8Fu, 0x90u, 0x9Fu, 0xA0u, 0xBFu, 0xC0u, 0xC1u, 0xC2u, 0xDFu,
        0xE0u, 0xE1u, 0xECu, 0xEDu, 0xEEu, 0xEFu, 0xF0u, 0xF1u, 0xF3u, 0xF4u, 0xF5u, 0xFFu}) {
    v.push_back(static_cast<char>(b));
  }
  return v;
}();

TEST(utf8, every_three_and_four_byte_string_of_edge_bytes) {
  std::string s(4, '\0');
  for (char a : edges) {
    for (char b : edges) {
      for (char c : edges) {
        expect_like_reference(std::string{a, b, c});
        for (char d : edges) {
          s = {a, b, c, d};
          expect_like_reference(s);
        }
      }
    }
  }
}

TEST(utf8, long_random_strings_and_the_parser_agree_with_the_reference) {
  std::mt19937_64 engine(20261125);
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    std::size_t const n = engine() % 70;
    for (std::size_t k = 0; k < n; ++k) {
      // Mostly ASCII runs (the fast paths) with edge bytes in between.
      s += engine() % 3 == 0 ? edges[engine() % edges.size()]
                             : static_cast<char>('a' + engine() % 26);
    }
    expect_like_reference(s);

    // The parser decodes each line the same way (line ends cannot occur: no CR/LF in edges).
    std::string expected;
    reference_decode(s, expected);
    auto const events = sse::parse_all("data:x" + s + "\n\n");
    ASSERT_EQ(events.size(), 1u);
    ASSERT_EQ(events[0].data, "x" + expected) << testing::PrintToString(s);
  }
}

}  // namespace
