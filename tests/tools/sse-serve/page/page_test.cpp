#include "page/page.hpp"

#include <gtest/gtest.h>

namespace sse::serve {
namespace {

TEST(Page, IsCompiledInAndSelfContained) {
  std::string_view page = page_template();
  EXPECT_EQ(page.substr(0, 15), "<!DOCTYPE html>");
  EXPECT_NE(page.find("new EventSource("), std::string_view::npos);
  EXPECT_NE(page.find("sse-reset"), std::string_view::npos);
  EXPECT_NE(page.find("sse-end"), std::string_view::npos);
  // No external scripts, styles or fonts: the page works with no network.
  EXPECT_EQ(page.find("src=\"http"), std::string_view::npos);
  EXPECT_EQ(page.find("href=\"http"), std::string_view::npos);
  EXPECT_EQ(page.find("innerHTML"), std::string_view::npos);  // lines are inserted as text only
}

TEST(Page, StreamUrlIsRelative) {
  std::string page = render_page("/events");
  EXPECT_NE(page.find("const streamUrl = \"events\";"), std::string::npos);
  EXPECT_EQ(page.find("{{STREAM_URL}}"), std::string::npos);
  EXPECT_NE(render_page("/api/v1/stream").find("\"api/v1/stream\""), std::string::npos);
}

TEST(Page, KnowsTheBacklogATabThatJoinsIsGiven) {
  EXPECT_NE(render_page("/events", 200).find("Number(\"200\")"), std::string::npos);
  std::string page = render_page("/events");
  EXPECT_NE(page.find("Number(\"0\")"), std::string::npos);
  EXPECT_EQ(page.find("{{BACKLOG}}"), std::string::npos);
}

}  // namespace
}  // namespace sse::serve
