// The traces section: its defaults, and each rule's message at the key's position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agreement/loader_test_util.h"

namespace accord {
namespace {

using ::testing::ElementsAre;
using namespace loader_test;

// kMinimal is 9 lines: the traces section starts on line 10.
std::vector<std::string> traces_errors(const std::string& section) {
  return errors_of(std::string(kMinimal) + "traces:\n" + section);
}

TEST(LoadTraces, AbsentMeansNoTracing) {
  const LoadResult r = load_agreement(kMinimal, "a.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.agreement->traces.enabled);
}

TEST(LoadTraces, TheEndpointAloneTakesTheDefaults) {
  const LoadResult r = load_agreement(
      std::string(kMinimal) + "traces: { endpoint: \"http://collector:4318\" }\n", "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const TracesConfig& t = r.agreement->traces;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.host, "collector");
  EXPECT_EQ(t.port, 4318);
  EXPECT_EQ(t.path, "/v1/traces");  // a URL without a path: OTLP's
  EXPECT_EQ(t.sample_ratio, 1.0);
  EXPECT_EQ(t.service_name, "accord");
  EXPECT_EQ(t.flush_interval_ms, 1000);
  EXPECT_EQ(t.max_queue_spans, 8192);
}

TEST(LoadTraces, EveryKeyIsRead) {
  const LoadResult r = load_agreement(std::string(kMinimal) + R"(traces:
  endpoint: "http://127.0.0.1:9411/otlp/v1/traces"
  sample_ratio: 0.1
  service_name: accord-eu
  flush_interval_ms: 200
  max_queue_spans: 1000
)",
                                      "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const TracesConfig& t = r.agreement->traces;
  EXPECT_EQ(t.endpoint, "http://127.0.0.1:9411/otlp/v1/traces");
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 9411);
  EXPECT_EQ(t.path, "/otlp/v1/traces");
  EXPECT_DOUBLE_EQ(t.sample_ratio, 0.1);
  EXPECT_EQ(t.service_name, "accord-eu");
  EXPECT_EQ(t.flush_interval_ms, 200);
  EXPECT_EQ(t.max_queue_spans, 1000);
}

TEST(LoadTraces, TheEndpointIsRequired) {
  EXPECT_THAT(traces_errors("  sample_ratio: 0.5\n"),
              ElementsAre("a.yaml:11:3: traces.endpoint: required key missing"));
}

TEST(LoadTraces, UnknownKeysAreErrors) {
  EXPECT_THAT(traces_errors("  endpoint: \"http://c:4318\"\n  headers: {}\n"),
              ElementsAre("a.yaml:12:3: traces.headers: unknown key"));
}

TEST(LoadTraces, TheEndpointIsAPlainHttpUrl) {
  EXPECT_THAT(traces_errors("  endpoint: \"collector:4318\"\n"),
              ElementsAre("a.yaml:11:13: traces.endpoint: expected an http:// or https:// URL"));
  EXPECT_THAT(traces_errors("  endpoint: \"https://collector:4318\"\n"),
              ElementsAre("a.yaml:11:13: traces.endpoint: expected an http:// URL (spans go to a "
                          "collector nearby; https is not supported)"));
  EXPECT_THAT(traces_errors("  endpoint: \"http://collector:99999\"\n"),
              ElementsAre("a.yaml:11:13: traces.endpoint: '99999' is not a port"));
}

TEST(LoadTraces, ValuesOutOfRangeAreErrors) {
  EXPECT_THAT(traces_errors("  endpoint: \"http://c:4318\"\n  sample_ratio: 1.5\n"),
              ElementsAre("a.yaml:12:17: traces.sample_ratio: must be between 0 and 1"));
  EXPECT_THAT(traces_errors("  endpoint: \"http://c:4318\"\n  service_name: \"\"\n"),
              ElementsAre("a.yaml:12:17: traces.service_name: must not be empty"));
  EXPECT_THAT(traces_errors("  endpoint: \"http://c:4318\"\n  flush_interval_ms: 0\n"),
              ElementsAre("a.yaml:12:22: traces.flush_interval_ms: must be greater than 0"));
  EXPECT_THAT(traces_errors("  endpoint: \"http://c:4318\"\n  max_queue_spans: -1\n"),
              ElementsAre("a.yaml:12:20: traces.max_queue_spans: must not be negative (got -1)"));
}

TEST(LoadTraces, TheSectionIsAMapping) {
  EXPECT_THAT(errors_of(std::string(kMinimal) + "traces: on\n"),
              ElementsAre("a.yaml:10:9: traces: expected a mapping, got the boolean on"));
}

}  // namespace
}  // namespace accord
