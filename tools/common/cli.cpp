#include "common/cli.hpp"

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
