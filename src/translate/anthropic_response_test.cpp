#include "translate/anthropic_response.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace accord {
namespace {

std::string to_message(std::string_view chat) {
  auto r = chat_to_message(chat, "msg_1", "claude-x");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::string();
}

std::string completion(std::string_view message, std::string_view finish,
                       std::string_view extra_choice = "") {
  return std::string(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"b",)"
                     R"("choices":[{"index":0,"message":)") +
         std::string(message) + R"(,"finish_reason":")" + std::string(finish) + "\"" +
         std::string(extra_choice) +
         R"(}],"usage":{"prompt_tokens":100,"completion_tokens":7,"total_tokens":107,)"
         R"("prompt_tokens_details":{"cached_tokens":60}}})";
}

TEST(AnthropicResponse, TextAnswer) {
  EXPECT_EQ(to_message(completion(R"({"role":"assistant","content":"Hello."})", "stop")),
            R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x",)"
            R"("content":[{"type":"text","text":"Hello."}],"stop_reason":"end_turn",)"
            R"("stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":7,)"
            R"("cache_creation_input_tokens":0,"cache_read_input_tokens":60}})");
}

TEST(AnthropicResponse, StopReasons) {
  auto reason = [](std::string_view finish, std::string_view extra = "") {
    const std::string m = to_message(completion(R"({"content":"x"})", finish, extra));
    const size_t at = m.find("\"stop_reason\":");
    return m.substr(at + 14, m.find(",\"usage\"") - at - 14);
  };
  EXPECT_EQ(reason("stop"), R"("end_turn","stop_sequence":null)");
  EXPECT_EQ(reason("length"), R"("max_tokens","stop_sequence":null)");
  EXPECT_EQ(reason("tool_calls"), R"("tool_use","stop_sequence":null)");
  EXPECT_EQ(reason("content_filter"), R"("refusal","stop_sequence":null)");
  // vLLM names the stop string that ended the text; a token id is an end of turn.
  EXPECT_EQ(reason("stop", R"(,"stop_reason":"END")"), R"("stop_sequence","stop_sequence":"END")");
  EXPECT_EQ(reason("stop", R"(,"stop_reason":128001)"), R"("end_turn","stop_sequence":null)");
}

TEST(AnthropicResponse, ToolCallsBecomeToolUseBlocks) {
  const std::string m = to_message(completion(
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
      R"("function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},)"
      R"({"id":"call_2","type":"function","function":{"name":"now","arguments":""}}]})",
      "tool_calls"));
  EXPECT_NE(m.find(R"("content":[{"type":"tool_use","id":"call_1","name":"get_weather",)"
                   R"("input":{"city":"Paris"}},{"type":"tool_use","id":"call_2","name":"now",)"
                   R"("input":{}}],"stop_reason":"tool_use")"),
            std::string::npos)
      << m;
}

TEST(AnthropicResponse, ArgumentsThatAreNotAnObjectFailTheAnswer) {
  auto r = chat_to_message(
      completion(R"({"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{\"a\":"}}]})",
                 "length"),
      "msg_1", "m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUpstreamError);
}

TEST(AnthropicResponse, RefusalIsTextWithRefusalStop) {
  const std::string m =
      to_message(completion(R"({"content":null,"refusal":"I can't help with that."})", "stop"));
  EXPECT_NE(m.find(R"([{"type":"text","text":"I can't help with that."}],"stop_reason":"refusal")"),
            std::string::npos)
      << m;
}

TEST(AnthropicResponse, NotACompletionIsAnUpstreamError) {
  for (std::string_view body : {"", "{}", R"({"choices":[]})", "nope", R"({"choices":[1]})"}) {
    auto r = chat_to_message(body, "msg_1", "m");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kUpstreamError);
    EXPECT_EQ(r.error().source, ErrorSource::kUpstream);
  }
}

TEST(AnthropicResponse, MissingUsageIsZero) {
  const std::string m = to_message(R"({"choices":[{"message":{"content":"x"}}]})");
  EXPECT_NE(m.find(R"("usage":{"input_tokens":0,"output_tokens":0,)"), std::string::npos) << m;
}

}  // namespace
}  // namespace accord
