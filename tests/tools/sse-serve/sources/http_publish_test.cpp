// What a publish body means: each content type, the URL's defaults, and every refusal (all or
// nothing, with the reason and where).
#include "sources/http_publish.hpp"

#include <gtest/gtest.h>

namespace sse::serve {
namespace {

TEST(HttpPublish, PlainTextIsOneEventWithTheUrlsTypeIdAndTopic) {
  publish_defaults d{"ci", "deploy", std::string("d-1")};
  for (std::string_view type :
       {"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded"}) {
    publish_result r = parse_publish(type, "deploy done\nall green\n", d);
    ASSERT_EQ(r.status, 0u) << type << ": " << r.error;
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].data, "deploy done\nall green");  // one trailing line break is dropped
    EXPECT_EQ(r.events[0].type, "deploy");
    EXPECT_EQ(r.events[0].id, "d-1");
    EXPECT_EQ(r.events[0].topic, "ci");
  }
  EXPECT_EQ(parse_publish("text/plain", "two\r\n\r\n", {}).events[0].data, "two\r\n");
  EXPECT_EQ(parse_publish("text/plain", "", {}).events[0].data, "");
}

TEST(HttpPublish, JsonObjectsAndArrays) {
  publish_defaults d{"ci", "", std::nullopt};
  publish_result one =
      parse_publish("application/json", R"({"data":"x","event":"e","id":7,"retry":500})", d);
  ASSERT_EQ(one.status, 0u) << one.error;
  ASSERT_EQ(one.events.size(), 1u);
  EXPECT_EQ(one.events[0].data, "x");
  EXPECT_EQ(one.events[0].type, "e");
  EXPECT_EQ(one.events[0].id, "7");
  EXPECT_EQ(one.events[0].retry, 500u);
  EXPECT_EQ(one.events[0].topic, "ci");
  publish_result many =
      parse_publish("application/json", R"([{"data":{"n":1}},{"data":"b","topic":"other"}])", d);
  ASSERT_EQ(many.status, 0u) << many.error;
  ASSERT_EQ(many.events.size(), 2u);
  EXPECT_EQ(many.events[0].data, R"({"n":1})");
  EXPECT_EQ(many.events[1].topic, "other");
  EXPECT_EQ(parse_publish("application/json", "[]", d).events.size(), 0u);
}

TEST(HttpPublish, AnEventStreamBody) {
  publish_result r = parse_publish(
      "text/event-stream", "retry: 900\nevent: a\ndata: 1\nid: x\n\ndata: 2\n\n", {"t", "", {}});
  ASSERT_EQ(r.status, 0u) << r.error;
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].type, "a");
  EXPECT_EQ(r.events[0].id, "x");
  EXPECT_EQ(r.events[0].retry, 900u);
  EXPECT_EQ(r.events[0].topic, "t");
  EXPECT_FALSE(r.events[1].id.has_value());
  EXPECT_FALSE(r.events[1].retry.has_value());
}

TEST(HttpPublish, RefusalsSayWhyAndPublishNothing) {
  struct bad {
    std::string type, body;
    unsigned status;
    std::string says;
  };
  std::vector<bad> cases = {
      {"image/png", "x", 415, "is not one publish takes"},
      {"application/json", "{\"data\":", 400, "invalid JSON at byte"},
      // Beyond a double: nlohmann throws out_of_range, not parse_error (it used to end the server).
      {"application/json", "[{\"data\":\"ok\"}, {\"data\":1e999}]", 400,
       "invalid JSON at byte 29: a number too large for a double: 1e999"},
      // The byte is where the number is, not where the same text first appears.
      {"application/json", "[{\"data\":\"1e999\"}, {\"data\":1e999}]", 400,
       "invalid JSON at byte 32: a number too large"},
      {"application/json", "[{\"data\":\"ok\"}, 3]", 400, "item 1: expected a JSON object"},
      {"application/json", "[{\"data\":\"ok\"}, {\"id\":\"a\\nb\"}]", 400, "event 1: "},
      {"application/json", "{\"event\":5}", 400, "\"event\" must be a string"},
      {"application/json", "{\"topic\":\"a/b\"}", 400, "cannot contain '/'"},
      {"text/event-stream", "data: 1\n\ndata: cut", 400, "ends inside an event"},
      {"text/plain", "bad \xff byte", 400, "UTF-8"},
  };
  for (auto const& c : cases) {
    publish_result r = parse_publish(c.type, c.body, {});
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_NE(r.error.find(c.says), std::string::npos) << c.body << " -> " << r.error;
    EXPECT_TRUE(r.events.empty()) << c.body;
  }
  EXPECT_FALSE(publishable_type("application/xml"));
  EXPECT_TRUE(publishable_type("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(publishable_type(" text/event-stream ; charset=utf-8"));
  EXPECT_TRUE(publishable_type(""));                                   // no type: text
  EXPECT_TRUE(publishable_type("application/x-www-form-urlencoded"));  // curl --data
  EXPECT_FALSE(publishable_type("text/plainer"));
}

}  // namespace
}  // namespace sse::serve
