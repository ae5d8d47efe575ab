// Every option of both tools that takes a value takes exactly one value per occurrence, so
// `sse-listen -H 'K: V' URL` never reads the URL as a second header. The options come from the
// CLI11 apps themselves: an option added later is checked without editing this test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sse-listen/options.hpp"
#include "sse-serve/options.hpp"

namespace {

// A fresh app per parse: CLI11 keeps results between parses, and the bound variables too. The
// app's final callback (cross-option checks such as "a URL or --input, not both") is dropped:
// this test is about how words are split among options, not about which combinations are valid.
struct built_app {
  std::shared_ptr<void> options;  // what the app's bindings point into; outlives the app
  std::unique_ptr<CLI::App> app;
  CLI::App* operator->() const { return app.get(); }
  CLI::App& operator*() const { return *app; }
};

struct tool {
  std::string name;
  std::function<built_app()> make;
};

template <typename Options, void (*add)(CLI::App&, Options&)>
std::function<built_app()> factory() {
  return [] {
    auto opts = std::make_shared<Options>();
    auto app = std::make_unique<CLI::App>();
    add(*app, *opts);
    app->callback(std::function<void()>{});
    return built_app{opts, std::move(app)};
  };
}

std::vector<tool> tools() {
  return {{"sse-listen", factory<sse::listen::options, &sse::listen::add_listen_options>()},
          {"sse-serve", factory<sse::serve::options, &sse::serve::add_serve_options>()}};
}

// Parses words (without the program name); rethrows CLI11's errors.
void parse(CLI::App& app, std::vector<std::string> const& words) {
  std::vector<char const*> argv{"tool"};
  for (auto const& w : words) argv.push_back(w.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

bool parses(CLI::App& app, std::vector<std::string> const& words) {
  try {
    parse(app, words);
    return true;
  } catch (CLI::ParseError const&) {
    return false;
  }
}

// Every name an option answers to, as typed: "-H", "--header".
std::vector<std::string> spellings(CLI::Option const& opt) {
  std::vector<std::string> out;
  for (auto const& s : opt.get_snames()) out.push_back("-" + s);
  for (auto const& l : opt.get_lnames()) out.push_back("--" + l);
  return out;
}

// The option's value glued to its name, so that nothing else can be read as its value.
std::string glued(std::string const& spelling, std::string const& value) {
  return spelling.size() == 2 ? spelling + value : spelling + "=" + value;
}

CLI::Option* find(CLI::App& app, std::string const& spelling) {
  return app.get_option_no_throw(spelling);
}

CLI::Option* positional(CLI::App& app) {
  auto found = app.get_options([](CLI::Option const* o) { return o->get_positional(); });
  return found.empty() ? nullptr : found.front();
}

class one_value_per_occurrence : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/sse-one-value-XXXXXX";
    int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ::close(fd);
    file_ = name;
    // Candidate values, tried in order until one is valid for the option alone: an option whose
    // values none of these fit makes the test fail, and says so.
    candidates_ = {"1",   "X-Test: v", "/x",  "auto", "lines",
                   "GET", "stop",      file_, "/tmp", "redis://127.0.0.1:6379"};
  }
  void TearDown() override { std::remove(file_.c_str()); }

  std::string file_;
  std::vector<std::string> candidates_;
};

TEST_F(one_value_per_occurrence, every_option_before_the_positional_or_an_extra_word) {
  std::string const url = "http://127.0.0.1:1/events";
  std::size_t checked_options = 0;
  for (auto const& t : tools()) {
    auto const names = [&] {
      std::vector<std::vector<std::string>> all;
      auto app = t.make();
      for (CLI::Option const* opt : app->get_options()) {
        if (opt->nonpositional()) all.push_back(spellings(*opt));
      }
      return all;
    }();
    bool const has_positional = positional(*t.make()) != nullptr;
    for (auto const& spelled : names) {
      std::string const& first = spelled.front();
      // An option takes a value when its name alone is missing one.
      bool takes_value = false;
      try {
        parse(*t.make(), {first});
      } catch (CLI::ArgumentMismatch const&) {
        takes_value = true;
      } catch (CLI::ParseError const&) {
      }
      if (!takes_value) continue;
      ++checked_options;

      std::string value;
      for (auto const& c : candidates_) {
        auto app = t.make();
        if (parses(*app, {glued(first, c)})) {
          value = c;
          break;
        }
      }
      ASSERT_FALSE(value.empty()) << t.name << " " << first
                                  << ": no candidate value is valid; add one to candidates_";

      for (auto const& spelling : spelled) {
        SCOPED_TRACE(t.name + " " + spelling + " '" + value + "'");
        if (has_positional) {
          for (auto const& words : {std::vector<std::string>{spelling, value, url},
                                    std::vector<std::string>{spelling, value, "--", url}}) {
            auto app = t.make();
            ASSERT_NO_THROW(parse(*app, words));
            EXPECT_EQ(find(*app, spelling)->results(), std::vector<std::string>{value});
            EXPECT_EQ(positional(*app)->results(), std::vector<std::string>{url});
          }
        } else {
          // A word after the value is not a second value: with no positional, it is a usage
          // error, even when it would be a valid value.
          for (auto const& extra : {value, std::string("extra")}) {
            auto app = t.make();
            EXPECT_THROW(parse(*app, {spelling, value, extra}), CLI::ExtrasError);
            EXPECT_EQ(find(*app, spelling)->results(), std::vector<std::string>{value});
          }
        }
      }
    }
  }
  // Both tools have well over ten options with values: fewer means the loop checked nothing.
  EXPECT_GT(checked_options, 10u);
}

}  // namespace
