#include "common/cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/diagnostics.hpp"

namespace sse::tools {

void one_value_per_occurrence(CLI::App& app) {
  // Flags take no value, and a positional (a future list of URLs) needs extra args to gather its
  // words: only named options that take a value change.
  for (CLI::Option* opt : app.get_options()) {
    if (opt->nonpositional() && opt->get_type_size_max() > 0) opt->allow_extra_args(false);
  }
}

CLI::Validator seconds_up_to(double max, bool zero_allowed) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%.15g", max);
  std::string const expected = std::string("expected a number of seconds ") +
                               (zero_allowed ? "from 0 to " : "above 0 and at most ") + limit;
  return CLI::Validator(
      [max, expected, zero_allowed](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        double const v = std::strtod(s.c_str(), &end);
        bool const number = !s.empty() && end == s.c_str() + s.size() && errno == 0;
        bool const low_ok = zero_allowed ? v >= 0 : v > 0;
        if (!number || !(low_ok && v <= max)) return expected + ", got '" + s + "'";
        return {};
      },
      "");
}

CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
          return "expected a whole number (digits only), got '" + s + "'";
        }
        s.erase(0, std::min(s.find_first_not_of('0'), s.size() - 1));
        errno = 0;
        std::strtoull(s.c_str(), nullptr, 10);
        if (errno == ERANGE) return s + " is too large (the most is 18446744073709551615)";
        return {};
      },
      "");
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (CLI::CallForHelp const&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (CLI::CallForAllHelp const&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return 0;
  } catch (CLI::CallForVersion const& e) {
    std::fputs(e.what(), stdout);
    std::fputc('\n', stdout);
    return 0;
  } catch (CLI::ParseError const& e) {
    error(std::string(e.what()) + " (try '" + std::string(program_name()) + " --help')");
    return exit_usage;
  }
  return std::nullopt;
}

}  // namespace sse::tools
