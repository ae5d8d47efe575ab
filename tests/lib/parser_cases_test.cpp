// Replays the parser cases in tests/cases/*.json. Each case is parsed whole, byte by byte, at every
// split point into two chunks and (for short inputs) at every pair of split points into three;
// every chunking must give the same event log, and that log must be the expected one.
//
// Case format (one JSON array of cases per file):
//   {"name": "...",
//    "input": "...",             byte string: each code point <= U+00FF stands for one byte
//    "events": [{"type": "message", "data": "...", "id": ""}],   type and id default as shown
//                                another key, "own_id": true/false, is compared only where given
//    "retries": [3000], "comments": ["..."],                    default: none
//    "last_event_id": "...",     after finish(); default ""
//    "discarded": N,             what finish() returns; default 0 (not checked after an error)
//    "options": {"max_event_size": N, "comments": true},
//    "error": "event_too_large", "error_offset": N}             default: no error
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sse/parser.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Printable form of a string for readable failure messages: non-ASCII UTF-8 is kept, control
// characters and stray bytes are escaped.
std::string shown(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto const b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::string event_entry(std::string_view type, std::string_view data, std::string_view id) {
  return "event type=" + shown(type) + " data=" + shown(data) + " id=" + shown(id);
}
// Appended to an event entry in the parser's log, so that every chunking must agree on it too.
std::string own_id_suffix(bool own_id) {
  return own_id ? " own_id=true" : " own_id=false";
}
std::string retry_entry(std::uint64_t ms) {
  return "retry " + std::to_string(ms);
}
std::string comment_entry(std::string_view text) {
  return "comment " + shown(text);
}

// The parser's output, in the order it came.
class recorder final : public sse::handler {
 public:
  sse::action on_event(sse::event_view const& ev) override {
    log.push_back(event_entry(ev.type, ev.data, ev.id) + own_id_suffix(ev.own_id));
    return sse::action::proceed;
  }
  void on_retry(std::uint64_t ms) override { log.push_back(retry_entry(ms)); }
  void on_comment(std::string_view text) override { log.push_back(comment_entry(text)); }

  std::vector<std::string> log;
};

struct parse_case {
  std::string file;
  std::string name;
  std::string input;  // raw bytes
  sse::parser_options options;
  std::vector<std::string> events, retries, comments;
  std::vector<std::optional<bool>> own_ids;  // per event; nullopt: not compared
  std::string last_event_id;
  std::size_t discarded = 0;
  sse::parse_error error = sse::parse_error::none;
  std::optional<std::uint64_t> error_offset;
};

// Shown by GoogleTest when a case fails.
void PrintTo(parse_case const& c, std::ostream* os) {
  *os << c.file << "/" << c.name << " input=\"";
  for (char ch : c.input) {
    auto const b = static_cast<unsigned char>(ch);
    if (b >= 0x20 && b < 0x7F && ch != '"' && ch != '\\') {
      *os << ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      *os << buf;
    }
  }
  *os << '"';
}

// Decodes the UTF-8 that nlohmann::json produced for "input" back into one byte per code point.
std::string input_bytes(std::string const& utf8, std::string const& where) {
  std::string bytes;
  for (std::size_t i = 0; i < utf8.size();) {
    auto const b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      bytes.push_back(static_cast<char>(b));
      ++i;
    } else if ((b & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      unsigned const cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp > 0xFF) throw std::runtime_error(where + ": input code point above U+00FF");
      bytes.push_back(static_cast<char>(static_cast<unsigned char>(cp)));
      i += 2;
    } else {
      throw std::runtime_error(where + ": input code point above U+00FF");
    }
  }
  return bytes;
}

std::vector<parse_case> load_cases() {
  std::vector<parse_case> cases;
  std::vector<fs::path> files;
  for (auto const& entry : fs::directory_iterator(SSE_CASES_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no case files in " SSE_CASES_DIR);
  for (auto const& path : files) {
    std::ifstream in(path);
    json const doc = json::parse(in);
    for (auto const& c : doc) {
      parse_case pc;
      pc.file = path.stem().string();
      pc.name = c.at("name").get<std::string>();
      std::string const where = pc.file + "/" + pc.name;
      pc.input = input_bytes(c.at("input").get<std::string>(), where);
      if (auto o = c.find("options"); o != c.end()) {
        pc.options.max_event_size = o->value("max_event_size", pc.options.max_event_size);
        pc.options.comments = o->value("comments", false);
      }
      for (auto const& e : c.value("events", json::array())) {
        pc.events.push_back(event_entry(e.value("type", "message"), e.at("data").get<std::string>(),
                                        e.value("id", "")));
        std::optional<bool> own_id;
        if (auto o = e.find("own_id"); o != e.end()) own_id = o->get<bool>();
        pc.own_ids.push_back(own_id);
        for (auto const& [key, value] : e.items()) {
          if (key != "type" && key != "data" && key != "id" && key != "own_id") {
            throw std::runtime_error(where + ": unknown event key " + key);
          }
        }
      }
      for (auto const& r : c.value("retries", json::array())) {
        pc.retries.push_back(retry_entry(r.get<std::uint64_t>()));
      }
      for (auto const& t : c.value("comments", json::array())) {
        pc.comments.push_back(comment_entry(t.get<std::string>()));
      }
      pc.last_event_id = c.value("last_event_id", "");
      pc.discarded = c.value("discarded", std::size_t{0});
      if (auto e = c.find("error"); e != c.end()) {
        if (*e != "event_too_large")
          throw std::runtime_error(where + ": unknown error " + e->dump());
        pc.error = sse::parse_error::event_too_large;
      }
      if (auto e = c.find("error_offset"); e != c.end()) pc.error_offset = e->get<std::uint64_t>();
      for (auto const& [key, value] : c.items()) {
        static char const* const known[] = {"name",     "input",         "events",    "retries",
                                            "comments", "last_event_id", "discarded", "options",
                                            "error",    "error_offset"};
        if (std::find_if(std::begin(known), std::end(known),
                         [&](char const* k) { return key == k; }) == std::end(known)) {
          throw std::runtime_error(where + ": unknown key " + key);
        }
      }
      cases.push_back(std::move(pc));
    }
  }
  return cases;
}

struct outcome {
  std::vector<std::string> log;  // events, retries, comments as they came
  std::string last_event_id;
  std::size_t discarded = 0;
  sse::parse_error error = sse::parse_error::none;
  std::uint64_t error_offset = 0;

  bool operator==(outcome const& o) const {
    return log == o.log && last_event_id == o.last_event_id && discarded == o.discarded &&
           error == o.error && error_offset == o.error_offset;
  }
};

std::string describe(outcome const& o) {
  std::string s;
  for (auto const& l : o.log) s += "  " + l + "\n";
  s += "  last_event_id=" + shown(o.last_event_id) + " discarded=" + std::to_string(o.discarded) +
       " error=" + sse::to_string(o.error) + " error_offset=" + std::to_string(o.error_offset) +
       "\n";
  return s;
}

// Parses input cut at the given (ascending) split points. Each chunk lives in a heap block of
// exactly its size, so a read past it is caught by ASan.
outcome run(parse_case const& c, std::vector<std::size_t> const& cuts, std::string& failure) {
  recorder r;
  sse::parser p(r, c.options);
  outcome o;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    std::size_t const end = i < cuts.size() ? cuts[i] : c.input.size();
    std::size_t const n = end - begin;
    std::unique_ptr<char[]> chunk(new char[n]);
    std::copy(c.input.data() + begin, c.input.data() + end, chunk.get());
    std::size_t const consumed = p.feed(std::string_view(chunk.get(), n));
    if (p.error() != sse::parse_error::none) {
      if (consumed > n) failure = "feed() consumed more than it was given";
      if (p.feed("\n\ndata: more\n\n") != 0) failure = "feed() after an error consumed bytes";
      break;
    }
    if (consumed != n) {
      failure = "feed() consumed " + std::to_string(consumed) + " of " + std::to_string(n) +
                " bytes without an error or a stop";
    }
    begin = end;
  }
  o.error = p.error();
  o.error_offset = p.error_offset();
  std::size_t const discarded = p.finish();
  // After an error the discarded count depends on where the chunk boundaries fell: not checked.
  o.discarded = o.error == sse::parse_error::none ? discarded : 0;
  o.last_event_id = std::string(p.last_event_id());
  o.log = std::move(r.log);
  return o;
}

std::string cuts_text(std::vector<std::size_t> const& cuts) {
  if (cuts.empty()) return "whole";
  std::string s = "cut at";
  for (auto k : cuts) s += " " + std::to_string(k);
  return s;
}

class parser_cases : public ::testing::TestWithParam<parse_case> {};

TEST_P(parser_cases, all_chunkings) {
  parse_case const& c = GetParam();

  std::string failure;
  outcome const whole = run(c, {}, failure);
  ASSERT_EQ(failure, "") << "whole input";

  // Against the expected outputs, kind by kind (the case files list each kind separately).
  std::vector<std::string> events, retries, comments;
  for (auto const& l : whole.log) {
    (l.rfind("event ", 0) == 0   ? events
     : l.rfind("retry ", 0) == 0 ? retries
                                 : comments)
        .push_back(l);
  }
  // own_id is compared only for the events whose case gives it; the rest drop it from the entry.
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i < c.own_ids.size() && c.own_ids[i]) {
      std::string const suffix = own_id_suffix(*c.own_ids[i]);
      bool const matches =
          events[i].size() >= suffix.size() &&
          events[i].compare(events[i].size() - suffix.size(), suffix.size(), suffix) == 0;
      EXPECT_TRUE(matches) << "event " << i << " expected" << suffix << ": " << events[i];
    }
    events[i].erase(events[i].rfind(" own_id="));
  }
  EXPECT_EQ(events, c.events);
  EXPECT_EQ(retries, c.retries);
  EXPECT_EQ(comments, c.comments);
  EXPECT_EQ(shown(whole.last_event_id), shown(c.last_event_id)) << "last_event_id";
  EXPECT_EQ(whole.error, c.error) << sse::to_string(whole.error);
  if (c.error == sse::parse_error::none) {
    EXPECT_EQ(whole.discarded, c.discarded) << "discarded";
  }
  if (c.error_offset) {
    EXPECT_EQ(whole.error_offset, *c.error_offset) << "error_offset";
  }

  // Every other chunking must agree with the whole parse exactly, order included.
  auto check = [&](std::vector<std::size_t> const& cuts) {
    std::string why;
    outcome const o = run(c, cuts, why);
    if (!why.empty() || !(o == whole)) {
      ADD_FAILURE() << cuts_text(cuts) << ": " << why << "\nwhole:\n"
                    << describe(whole) << "this chunking:\n"
                    << describe(o);
      return false;
    }
    return true;
  };
  std::size_t const n = c.input.size();
  std::vector<std::size_t> bytes;
  for (std::size_t k = 1; k < n; ++k) bytes.push_back(k);
  if (!check(bytes)) return;
  for (std::size_t k = 1; k < n; ++k) {
    if (!check({k})) return;
  }
  if (n < 64) {
    for (std::size_t a = 1; a < n; ++a) {
      for (std::size_t b = a + 1; b < n; ++b) {
        if (!check({a, b})) return;
      }
    }
  }
}

std::string case_name(::testing::TestParamInfo<parse_case> const& info) {
  std::string s = info.param.file + "_" + info.param.name;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(json, parser_cases, ::testing::ValuesIn(load_cases()), case_name);

}  // namespace
