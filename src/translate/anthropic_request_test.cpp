#include "translate/anthropic_request.h"

#include <gtest/gtest.h>

#include "http/openai_error.h"
#include "openai/request_body.h"

namespace accord {
namespace {

MessagesRequest read_ok(std::string_view body) {
  auto r = read_messages_request(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : MessagesRequest{};
}

// The param of the error `body` is refused with (400 expected).
std::string refused_param(std::string_view body) {
  auto r = read_messages_request(body);
  if (r.ok()) return "<accepted: " + r->chat_body + ">";
  EXPECT_EQ(http_status(r.error().kind), 400) << r.error().message;
  return r.error().param;
}

TEST(AnthropicRequest, PlainConversation) {
  auto r = read_ok(R"({"model":"claude-x","max_tokens":256,"system":"Be brief.",
    "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},
    {"role":"user","content":[{"type":"text","text":"Again","cache_control":{"type":"ephemeral"}}]}],
    "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":40,
    "metadata":{"user_id":"u-1"},"service_tier":"auto"})");
  EXPECT_EQ(r.model, "claude-x");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.max_tokens, 256);
  EXPECT_EQ(r.chat_body,
            R"({"model":"claude-x","messages":[{"role":"system","content":"Be brief."},)"
            R"({"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},)"
            R"({"role":"user","content":"Again"}],"max_completion_tokens":256,"stop":["END"],)"
            R"("temperature":0.5,"top_p":0.9,"top_k":40,"user":"u-1"})");
}

TEST(AnthropicRequest, TheChatBodyReadsBackForPolicy) {
  auto r = read_ok(R"({"model":"m","max_tokens":9,"stream":true,
    "messages":[{"role":"user","content":"x"}]})");
  std::string body = r.chat_body;
  body.reserve(body.size() + 64);
  auto chat = read_request_body(body, ApiKind::kChat);
  ASSERT_TRUE(chat.ok()) << chat.error().message;
  EXPECT_EQ(chat->model, "m");
  EXPECT_TRUE(chat->stream);
  EXPECT_TRUE(chat->include_usage);
  EXPECT_EQ(chat->max_tokens, 9);
}

TEST(AnthropicRequest, SystemBlocksAreJoined) {
  auto r = read_ok(R"({"model":"m","max_tokens":1,"system":[{"type":"text","text":"A"},
    {"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],
    "messages":[{"role":"user","content":"x"}]})");
  EXPECT_NE(r.chat_body.find(R"({"role":"system","content":"A\nB"})"), std::string::npos);
}

TEST(AnthropicRequest, ImagesBecomeImageUrlParts) {
  auto r = read_ok(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
    {"type":"text","text":"What is this?"},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},
    {"type":"image","source":{"type":"url","url":"https://x/y.jpg"}}]}]})");
  EXPECT_NE(
      r.chat_body.find(R"({"role":"user","content":[{"type":"text","text":"What is this?"},)"
                       R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},)"
                       R"({"type":"image_url","image_url":{"url":"https://x/y.jpg"}}]})"),
      std::string::npos)
      << r.chat_body;
}

TEST(AnthropicRequest, ToolUseAndToolResults) {
  auto r = read_ok(R"({"model":"m","max_tokens":100,
    "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object",
      "properties":{"city":{"type":"string"}},"required":["city"]}}],
    "tool_choice":{"type":"any","disable_parallel_tool_use":true},
    "messages":[{"role":"user","content":"Weather in Paris and Rome?"},
    {"role":"assistant","content":[{"type":"text","text":"Checking."},
      {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
      {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Rome"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},
      {"type":"tool_result","tool_use_id":"toolu_2","is_error":true,
       "content":[{"type":"text","text":"timeout"}]},
      {"type":"text","text":"And tomorrow?"}]}]})");
  EXPECT_EQ(
      r.chat_body,
      R"({"model":"m","messages":[{"role":"user","content":"Weather in Paris and Rome?"},)"
      R"({"role":"assistant","content":"Checking.","tool_calls":[)"
      R"({"id":"toolu_1","type":"function","function":{"name":"get_weather",)"
      R"("arguments":"{\"city\":\"Paris\"}"}},)"
      R"({"id":"toolu_2","type":"function","function":{"name":"get_weather",)"
      R"("arguments":"{\"city\":\"Rome\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"toolu_1","content":"18C"},)"
      R"({"role":"tool","tool_call_id":"toolu_2","content":"Error: timeout"},)"
      R"({"role":"user","content":"And tomorrow?"}],"max_completion_tokens":100,)"
      R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Weather",)"
      R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},)"
      R"("required":["city"]}}}],"tool_choice":"required","parallel_tool_calls":false})");
}

TEST(AnthropicRequest, ToolChoices) {
  auto choice = [](std::string_view tc) {
    auto r = read_ok(std::string(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",)"
                                 R"("content":"x"}],"tool_choice":)") +
                     std::string(tc) + "}");
    const size_t at = r.chat_body.find("\"tool_choice\":");
    return at == std::string::npos ? std::string() : r.chat_body.substr(at + 14);
  };
  EXPECT_EQ(choice(R"({"type":"auto"})"), R"("auto"})");
  EXPECT_EQ(choice(R"({"type":"none"})"), R"("none"})");
  EXPECT_EQ(choice(R"({"type":"tool","name":"f"})"),
            R"({"type":"function","function":{"name":"f"}}})");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[],
    "tool_choice":{"type":"tool"}})"),
            "messages");  // the empty conversation is found first
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":"x"}],"tool_choice":{"type":"tool"}})"),
            "tool_choice.name");
}

TEST(AnthropicRequest, StreamAsksForUsage) {
  auto r = read_ok(R"({"model":"m","max_tokens":5,"stream":true,
    "messages":[{"role":"user","content":"x"}]})");
  EXPECT_TRUE(r.stream);
  EXPECT_NE(r.chat_body.find(R"("stream":true,"stream_options":{"include_usage":true})"),
            std::string::npos);
}

TEST(AnthropicRequest, APrefillIsContinued) {
  auto r = read_ok(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},
    {"role":"assistant","content":"The answer is"}]})");
  EXPECT_NE(r.chat_body.find(R"("continue_final_message":true,"add_generation_prompt":false)"),
            std::string::npos);
}

TEST(AnthropicRequest, RefusalsNameTheField) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_EQ(refused_param(R"({"model":"m",)" + msgs + "}"), "max_tokens");
  EXPECT_EQ(refused_param(R"({"max_tokens":1,)" + msgs + "}"), "model");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":"9",)" + msgs + "}"), "max_tokens");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":0,)" + msgs + "}"), "max_tokens");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1})"), "messages");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"thinking":{"type":"enabled",
    "budget_tokens":1024},)" +
                          msgs + "}"),
            "thinking");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"container":"c",)" + msgs + "}"),
            "container");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"temperature":"hot",)" + msgs + "}"),
            "temperature");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":[{"type":"document","source":{"type":"text","data":"d"}}]}]})"),
            "messages.0.content.0.type");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]})"),
            "messages.0.content.0.source.type");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},
    {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"}]}]})"),
            "messages.1.content.0.type");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":7}]})"),
            "messages.0.content");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":[]}]})"),
            "messages.0.content");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":"x","name":"n"}]})"),
            "messages.0.name");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"system",
    "content":"x"}]})"),
            "messages.0.role");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"tools":[{"type":"web_search_20250305",
    "name":"web_search"}],)" +
                          msgs + "}"),
            "tools.0.type");
  EXPECT_EQ(refused_param(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",
    "content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image",
    "source":{"type":"url","url":"u"}}]}]}]})"),
            "messages.0.content.0.content.0.type");
}

TEST(AnthropicRequest, InvalidJsonIsInvalidJson) {
  for (std::string_view body : {"", "{", "[1]", "{\"model\":nul}"}) {
    auto r = read_messages_request(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJson) << body;
  }
}

TEST(AnthropicRequest, DisabledThinkingIsAccepted) {
  auto r = read_ok(R"({"model":"m","max_tokens":1,"thinking":{"type":"disabled"},
    "messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(r.chat_body.find("thinking"), std::string::npos);
}

}  // namespace
}  // namespace accord
