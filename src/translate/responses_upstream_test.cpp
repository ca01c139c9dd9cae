#include "translate/responses_upstream.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

constexpr const char* kResponse =
    R"({"id":"resp_1","object":"response","status":"completed","output":[],)"
    R"("usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":8},)"
    R"("output_tokens":30,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":42}})";

TEST(ResponsesUpstream, UsageBecomesChatsWithCachedAndReasoningTokens) {
  auto usage = response_usage_as_chat(kResponse);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,)"
                    R"("prompt_tokens_details":{"cached_tokens":8}}})");
  EXPECT_EQ(response_usage_as_chat(R"({"id":"r","usage":null})").value(), "{}");
  EXPECT_FALSE(response_usage_as_chat("not json").ok());
  EXPECT_FALSE(response_usage_as_chat("[1]").ok());
}

TEST(ResponsesUpstream, ResponseId) {
  EXPECT_EQ(read_response_id(kResponse), "resp_1");
  EXPECT_EQ(read_response_id(R"({"object":"response"})"), "");
  EXPECT_EQ(read_response_id("{"), "");
}

TEST(ResponsesUpstream, TheLastEventCarriesTheResponseAndItsUsage) {
  auto delta = read_relayed_response_event(
      R"({"type":"response.output_text.delta","sequence_number":4,"delta":"hi"})");
  ASSERT_TRUE(delta.ok());
  EXPECT_FALSE(delta->final);
  EXPECT_EQ(delta->sequence_number, 4);
  for (const char* type : {"response.completed", "response.incomplete", "response.failed"}) {
    auto last =
        read_relayed_response_event(std::string(R"({"type":")") + type +
                                    R"(","sequence_number":9,"response":)" + kResponse + "}");
    ASSERT_TRUE(last.ok()) << type;
    EXPECT_TRUE(last->final);
    EXPECT_EQ(last->response_json, kResponse);
    EXPECT_EQ(last->usage_chat_json, response_usage_as_chat(kResponse).value());
  }
}

TEST(ResponsesUpstream, ErrorEventsAndBadEventsAreErrors) {
  auto top = read_relayed_response_event(
      R"({"type":"error","code":"server_error","message":"It broke.","param":null})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().message, "It broke.");
  EXPECT_EQ(top.error().kind, ErrorKind::kUpstreamError);
  auto nested = read_relayed_response_event(
      R"({"type":"error","error":{"type":"server_error","message":"Nested."}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().message, "Nested.");
  EXPECT_FALSE(read_relayed_response_event("data").ok());
  EXPECT_FALSE(read_relayed_response_event(R"({"no_type":1})").ok());
  EXPECT_FALSE(read_relayed_response_event(R"({"type":"response.completed"})").ok());
}

}  // namespace
}  // namespace accord
