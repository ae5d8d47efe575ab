// The command-line helpers both tools share: validators and the exit conventions of a parse.
#include "common/cli.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sse::tools {
namespace {

// What a validator says of s ("" when valid), and s as it leaves the validator.
std::pair<std::string, std::string> run(CLI::Validator const& v, std::string s) {
  std::string said = v(s);
  return {said, s};
}

TEST(seconds_up_to, accepts_zero_to_the_limit_and_says_the_range_otherwise) {
  auto v = seconds_up_to(86400);
  for (std::string ok : {"0", "0.5", "1e3", "86400"}) EXPECT_EQ(run(v, ok).first, "") << ok;
  for (std::string bad : {"-1", "86400.5", "inf", "nan", "", "1s", "x"}) {
    EXPECT_EQ(run(v, bad).first, "expected a number of seconds from 0 to 86400, got '" + bad + "'");
  }
}

TEST(whole_number, digits_only_as_decimal_without_leading_zeros) {
  auto v = whole_number();
  EXPECT_EQ(run(v, "0"), std::make_pair(std::string(), std::string("0")));
  EXPECT_EQ(run(v, "000"), std::make_pair(std::string(), std::string("0")));
  EXPECT_EQ(run(v, "010"), std::make_pair(std::string(), std::string("10")));
  EXPECT_EQ(run(v, "18446744073709551615").first, "");
  EXPECT_EQ(run(v, "18446744073709551616").first,
            "18446744073709551616 is too large (the most is 18446744073709551615)");
  for (std::string bad : {"-1", "+1", "0x10", "1.5", "", "1e3"}) {
    EXPECT_EQ(run(v, bad).first, "expected a whole number (digits only), got '" + bad + "'");
  }
}

TEST(parse_command_line, help_and_version_stop_with_0_usage_errors_with_2) {
  auto status = [](std::vector<char const*> argv) {
    CLI::App app("test", "tool");
    app.set_version_flag("--version", "tool 1");
    int n = 0;
    app.add_option("-n", n)->required();
    return parse_command_line(app, static_cast<int>(argv.size()), argv.data());
  };
  EXPECT_EQ(status({"tool", "--help"}), 0);
  EXPECT_EQ(status({"tool", "--version"}), 0);
  EXPECT_EQ(status({"tool", "-n", "1"}), std::nullopt);
  EXPECT_EQ(status({"tool"}), exit_usage);
  EXPECT_EQ(status({"tool", "-n", "1", "--bogus"}), exit_usage);
}

}  // namespace
}  // namespace sse::tools
