#include "translate/anthropic_upstream.h"

#include <gtest/gtest.h>

#include "http/openai_error.h"
#include "translate/anthropic_request.h"

namespace accord {
namespace {

std::string to_messages(std::string_view chat, int64_t default_max_tokens = 4096) {
  auto r = chat_to_messages_body(chat, "claude-sonnet-4-5", default_max_tokens);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::string();
}

std::string refused_param(std::string_view chat) {
  auto r = chat_to_messages_body(chat, "up", 100);
  if (r.ok()) return "<accepted: " + *r + ">";
  EXPECT_EQ(http_status(r.error().kind), 400) << r.error().message;
  return r.error().param;
}

TEST(AnthropicUpstream, PlainChat) {
  EXPECT_EQ(to_messages(R"({"model":"frontier","messages":[
    {"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
    "max_tokens":64,"stop":"END","temperature":0.2,"top_p":1,"user":"u-1",
    "stream":true,"stream_options":{"include_usage":true},"n":1,"seed":7})"),
            R"({"model":"claude-sonnet-4-5","max_tokens":64,"system":"Be brief.",)"
            R"("messages":[{"role":"user","content":"Hi"}],"stop_sequences":["END"],)"
            R"("temperature":0.2,"top_p":1,"metadata":{"user_id":"u-1"},"stream":true})");
}

TEST(AnthropicUpstream, MaxTokens) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_NE(to_messages("{" + msgs + "}", 1234).find(R"("max_tokens":1234)"), std::string::npos);
  EXPECT_NE(to_messages("{" + msgs + R"(,"max_tokens":5,"max_completion_tokens":9})")
                .find(R"("max_tokens":9)"),
            std::string::npos);
  EXPECT_EQ(refused_param("{" + msgs + R"(,"max_completion_tokens":0})"), "max_completion_tokens");
}

TEST(AnthropicUpstream, SeveralSystemMessagesBecomeBlocks) {
  const std::string body = to_messages(R"({"messages":[{"role":"system","content":"A"},
    {"role":"developer","content":[{"type":"text","text":"B"}]},{"role":"user","content":"x"}]})");
  EXPECT_NE(body.find(R"("system":[{"type":"text","text":"A"},{"type":"text","text":"B"}])"),
            std::string::npos)
      << body;
}

TEST(AnthropicUpstream, ImagesAndToolRoundTrip) {
  const std::string body = to_messages(R"({"messages":[
    {"role":"user","content":[{"type":"text","text":"What and where?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO","detail":"low"}},
      {"type":"image_url","image_url":{"url":"https://x/y.jpg"}}]},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"toolu_1","type":"function","function":{"name":"locate","arguments":"{\"q\": 1}"}},
      {"id":"toolu_2","type":"function","function":{"name":"now","arguments":""}}]},
    {"role":"tool","tool_call_id":"toolu_1","content":"Paris"},
    {"role":"tool","tool_call_id":"toolu_2","content":[{"type":"text","text":"noon"}]},
    {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","function":{"name":"locate","description":"Where",
      "parameters":{"type":"object","properties":{"q":{"type":"integer"}}}}},
      {"type":"function","function":{"name":"now"}}],
    "tool_choice":"required","parallel_tool_calls":false})");
  EXPECT_EQ(
      body,
      R"({"model":"claude-sonnet-4-5","max_tokens":4096,"messages":[)"
      R"({"role":"user","content":[{"type":"text","text":"What and where?"},)"
      R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},)"
      R"({"type":"image","source":{"type":"url","url":"https://x/y.jpg"}}]},)"
      R"({"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"locate",)"
      R"("input":{"q":1}},{"type":"tool_use","id":"toolu_2","name":"now","input":{}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
      R"("content":"Paris"},{"type":"tool_result","tool_use_id":"toolu_2","content":"noon"}]},)"
      R"({"role":"user","content":"Thanks"}],)"
      R"("tools":[{"name":"locate","description":"Where","input_schema":{"type":"object",)"
      R"("properties":{"q":{"type":"integer"}}}},{"name":"now","input_schema":)"
      R"({"type":"object","properties":{}}}],)"
      R"("tool_choice":{"type":"any","disable_parallel_tool_use":true}})");
}

TEST(AnthropicUpstream, ToolChoices) {
  auto choice = [](std::string_view tc) {
    const std::string body = to_messages(
        std::string(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function",)"
                    R"("function":{"name":"f"}}],"tool_choice":)") +
        std::string(tc) + "}");
    const size_t at = body.find("\"tool_choice\":");
    return at == std::string::npos ? std::string() : body.substr(at + 14);
  };
  EXPECT_EQ(choice(R"("auto")"), R"({"type":"auto"}})");
  EXPECT_EQ(choice(R"("none")"), R"({"type":"none"}})");
  EXPECT_EQ(choice(R"({"type":"function","function":{"name":"f"}})"),
            R"({"type":"tool","name":"f"}})");
}

TEST(AnthropicUpstream, RefusalsNameTheField) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_EQ(refused_param("{}"), "messages");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"n":2})"), "n");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"logprobs":true})"), "logprobs");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"presence_penalty":0.5})"), "presence_penalty");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"response_format":{"type":"json_object"}})"),
            "response_format");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"reasoning_effort":"high"})"), "reasoning_effort");
  EXPECT_EQ(refused_param("{" + msgs + R"(,"tools":[{"type":"custom","custom":{}}]})"),
            "tools.0.type");
  EXPECT_EQ(refused_param(R"({"messages":[{"role":"user","content":[{"type":"input_audio",
    "input_audio":{"data":"x","format":"wav"}}]}]})"),
            "messages.0.content.0.type");
  EXPECT_EQ(refused_param(R"({"messages":[{"role":"assistant","tool_calls":[{"id":"a",
    "type":"function","function":{"name":"f","arguments":"[1]"}}]}]})"),
            "messages.0.tool_calls.0.function.arguments");
  EXPECT_EQ(refused_param(R"({"messages":[{"role":"tool","content":"x"}]})"),
            "messages.0.tool_call_id");
  EXPECT_EQ(refused_param(R"({"messages":[{"role":"function","name":"f","content":"x"}]})"),
            "messages.0.role");
  EXPECT_EQ(chat_to_messages_body("[", "m", 1).error().kind, ErrorKind::kInvalidJson);
}

// A Messages request translated to chat and back keeps its conversation and tools.
TEST(AnthropicUpstream, RoundTripThroughChat) {
  const std::string anthropic =
      R"({"model":"claude-sonnet-4-5","max_tokens":300,"system":"Be brief.",)"
      R"("messages":[{"role":"user","content":"Weather?"},)"
      R"({"role":"assistant","content":[{"type":"text","text":"Checking."},)"
      R"({"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Paris"}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
      R"("content":"18C"}]}],"stop_sequences":["END"],"temperature":0.5,)"
      R"("tools":[{"name":"w","description":"Weather","input_schema":{"type":"object"}}],)"
      R"("tool_choice":{"type":"tool","name":"w"},"metadata":{"user_id":"u"},"stream":true})";
  auto chat = read_messages_request(anthropic);
  ASSERT_TRUE(chat.ok()) << chat.error().message;
  EXPECT_EQ(
      to_messages(chat->chat_body, 1),
      R"({"model":"claude-sonnet-4-5","max_tokens":300,"system":"Be brief.",)"
      R"("messages":[{"role":"user","content":"Weather?"},)"
      R"({"role":"assistant","content":[{"type":"text","text":"Checking."},)"
      R"({"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Paris"}}]},)"
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
      R"("content":"18C"}]}],"stop_sequences":["END"],"temperature":0.5,)"
      R"("tools":[{"name":"w","description":"Weather","input_schema":{"type":"object"}}],)"
      R"("tool_choice":{"type":"tool","name":"w"},"metadata":{"user_id":"u"},"stream":true})");
}

}  // namespace
}  // namespace accord
