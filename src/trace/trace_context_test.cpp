#include "trace/trace_context.h"

#include <gtest/gtest.h>

#include <set>

namespace accord {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParent, AValidHeaderGivesItsFields) {
  const auto p = parse_traceparent(kValid);
  ASSERT_TRUE(p.has_value());
  std::string hex;
  append_hex(hex, p->trace_id);
  EXPECT_EQ(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
  hex.clear();
  append_hex(hex, p->parent_id);
  EXPECT_EQ(hex, "00f067aa0ba902b7");
  EXPECT_TRUE(p->sampled());
  EXPECT_EQ(p->flags, 1);

  const auto unsampled =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_FALSE(unsampled->sampled());
  // Flags other than "sampled" are kept, and the sampled bit read alone.
  const auto other = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->sampled());
  EXPECT_EQ(other->flags, 2);
}

TEST(TraceParent, ALaterVersionIsReadAsVersion00) {
  // A version after 00 may add fields after the flags, behind a '-'.
  EXPECT_TRUE(
      parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value());
  EXPECT_TRUE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever")
                  .has_value());
  EXPECT_FALSE(
      parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01what").has_value());
}

TEST(TraceParent, InvalidHeadersAreRefused) {
  const char* invalid[] = {
      "",
      "00",
      // version 00 is exactly 55 characters
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      // version ff is forbidden
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // all-zero ids
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      // uppercase and other non-hex characters
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",
      // separators
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      // ids of the wrong length
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
  };
  for (const char* h : invalid) EXPECT_FALSE(parse_traceparent(h).has_value()) << h;
}

TEST(TraceParent, FormatWritesWhatParseReads) {
  const TraceId trace = new_trace_id();
  const SpanId span = new_span_id();
  char out[kTraceParentSize];
  format_traceparent(trace, span, true, out);
  const auto p = parse_traceparent(std::string_view(out, sizeof out));
  ASSERT_TRUE(p.has_value()) << std::string_view(out, sizeof out);
  EXPECT_EQ(p->trace_id, trace);
  EXPECT_EQ(p->parent_id, span);
  EXPECT_TRUE(p->sampled());
  format_traceparent(trace, span, false, out);
  EXPECT_EQ(std::string_view(out, sizeof out).substr(52), "-00");
}

TEST(TraceState, OnlyPrintableAsciiUpTo512CharactersIsPassedOn) {
  EXPECT_TRUE(valid_tracestate("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
  EXPECT_FALSE(valid_tracestate(""));
  EXPECT_FALSE(valid_tracestate("congo=t61\r\nx-injected: 1"));
  EXPECT_TRUE(valid_tracestate(std::string(512, 'a')));
  EXPECT_FALSE(valid_tracestate(std::string(513, 'a')));
}

TEST(TraceIds, NewIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const TraceId t = new_trace_id();
    const SpanId s = new_span_id();
    EXPECT_TRUE(t.valid());
    EXPECT_TRUE(s.valid());
    std::string hex;
    append_hex(hex, t);
    append_hex(hex, s);
    EXPECT_TRUE(seen.insert(hex).second);
  }
}

}  // namespace
}  // namespace accord
