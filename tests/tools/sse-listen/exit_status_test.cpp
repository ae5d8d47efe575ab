// sse-listen's exit statuses: the enum (with its list and meanings), --help's footer and the man
// page's EXIT STATUS section must tell the same story. The header's static_assert ties the list
// to the enum; these tests tie --help and the man page to the list.
#include "exit_status.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "options.hpp"

namespace sse::listen {
namespace {

std::vector<int> listed() {
  std::vector<int> out;
  for (exit_status s : all_exit_statuses) out.push_back(static_cast<int>(s));
  return out;
}

// The statuses the man page's EXIT STATUS section lists, as its "*N*" item lines.
std::vector<int> in_man_page() {
  std::ifstream in(SSE_LISTEN_MAN_PAGE);
  EXPECT_TRUE(in) << "cannot read " << SSE_LISTEN_MAN_PAGE;
  std::vector<int> out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) inside = line == "# EXIT STATUS";
    // An item line is the status in bold alone: "*124*". (No std::regex: GCC 12 warns inside it
    // at -O1 under ASan, and warnings are errors.)
    bool const item = line.size() > 2 && line.front() == '*' && line.back() == '*' &&
                      line.find_first_not_of("0123456789", 1) == line.size() - 1;
    if (inside && item) out.push_back(std::stoi(line.substr(1, line.size() - 2)));
  }
  return out;
}

std::string squeeze_whitespace(std::string const& s) {
  std::istringstream words(s);
  std::string out;
  for (std::string w; words >> w;) out += (out.empty() ? "" : " ") + w;
  return out;
}

TEST(exit_status, the_man_page_lists_exactly_the_statuses_of_the_enum) {
  EXPECT_EQ(in_man_page(), listed());
}

TEST(exit_status, help_lists_every_status_with_its_meaning_in_order) {
  std::string const help = squeeze_whitespace(listen_examples());
  std::string expected = "Exit status:";
  for (exit_status s : all_exit_statuses) {
    expected += " " + std::to_string(static_cast<int>(s)) + " " + meaning(s) + ",";
  }
  expected.back() = '.';
  EXPECT_NE(help.find(expected), std::string::npos) << help;
}

TEST(exit_status, the_help_table_is_wrapped_to_the_width_of_the_examples) {
  std::istringstream lines(exit_status_help());
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 90u) << line;
}

TEST(exit_status, common_values_are_shared_with_every_tool) {
  EXPECT_EQ(static_cast<int>(exit_status::ok), tools::exit_ok);
  EXPECT_EQ(static_cast<int>(exit_status::usage), tools::exit_usage);
  EXPECT_EQ(static_cast<int>(exit_status::interrupted), 130);
}

}  // namespace
}  // namespace sse::listen
