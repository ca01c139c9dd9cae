#include "http/sse.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

TEST(SseParser, SplitsEventsAcrossArbitraryFeeds) {
  const std::string stream =
      "data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\n: comment\nevent: x\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p;
    std::vector<std::string> data, raw;
    SseEvent e;
    p.feed(std::string_view(stream).substr(0, cut));
    while (p.next(e)) {
      data.emplace_back(e.data);
      raw.emplace_back(e.raw);
    }
    p.feed(std::string_view(stream).substr(cut));
    while (p.next(e)) {
      data.emplace_back(e.data);
      raw.emplace_back(e.raw);
    }
    ASSERT_EQ(data.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(data[0], "{\"a\":1}");
    EXPECT_EQ(data[1], "{\"b\":2}");
    EXPECT_EQ(data[2], "[DONE]");
    EXPECT_EQ(raw[1], "data: {\"b\":2}\r\n\r\n");
  }
}

TEST(SseParser, JoinsMultiLineData) {
  SseParser p;
  p.feed("data: one\ndata: two\n\n");
  SseEvent e;
  ASSERT_TRUE(p.next(e));
  EXPECT_EQ(e.data, "one\ntwo");
  EXPECT_FALSE(p.next(e));
  p.compact();
  EXPECT_TRUE(p.pending().empty());
}

TEST(SseParser, KeepsAnIncompleteEventPending) {
  SseParser p;
  p.feed("data: {\"a\":1}\n\ndata: {\"b\"");
  SseEvent e;
  ASSERT_TRUE(p.next(e));
  EXPECT_FALSE(p.next(e));
  p.compact();
  EXPECT_EQ(p.pending(), "data: {\"b\"");
}

}  // namespace
}  // namespace accord
