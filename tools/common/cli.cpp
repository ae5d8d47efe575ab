#include "common/cli.hpp"

#include <string>

#include "common/diagnostics.hpp"

namespace sse::tools {

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
