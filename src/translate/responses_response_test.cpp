#include "translate/responses_response.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "translate/responses_request.h"

namespace accord {
namespace {

std::string at(const std::string& json, std::string_view pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, v;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(v)) return "";
  return simdjson::to_string(v);
}

ResponseMeta meta_for(std::string_view body) {
  auto request = read_responses_request(body);
  EXPECT_TRUE(request.ok());
  return make_response_meta(request.value(), "resp_abc", 1700000000);
}

TranslatedResponse translate_ok(std::string_view chat, const ResponseMeta& meta) {
  auto r = chat_to_response(chat, meta);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : TranslatedResponse{};
}

constexpr std::string_view kText = R"({"id":"chatcmpl-1","object":"chat.completion",
  "created":1,"model":"upstream/llama","choices":[{"index":0,"message":{"role":"assistant",
  "content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,
  "completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":8},
  "completion_tokens_details":{"reasoning_tokens":1}}})";

TEST(ResponsesResponse, TextCompletion) {
  const ResponseMeta meta = meta_for(R"({"model":"frontier-2","input":"Hi","temperature":0.5})");
  const TranslatedResponse t = translate_ok(kText, meta);
  const std::string& b = t.body;
  EXPECT_EQ(at(b, "/id"), R"("resp_abc")");
  EXPECT_EQ(at(b, "/object"), R"("response")");
  EXPECT_EQ(at(b, "/created_at"), "1700000000");
  EXPECT_EQ(at(b, "/status"), R"("completed")");
  EXPECT_EQ(at(b, "/model"), R"("frontier-2")");  // as the client named it
  EXPECT_EQ(at(b, "/error"), "null");
  EXPECT_EQ(at(b, "/incomplete_details"), "null");
  EXPECT_EQ(at(b, "/output"),
            R"([{"id":"msg_abc_0","type":"message","status":"completed","content":[)"
            R"({"type":"output_text","annotations":[],"logprobs":[],"text":"Hello!"}],)"
            R"("role":"assistant"}])");
  EXPECT_EQ(at(b, "/usage"),
            R"({"input_tokens":12,"input_tokens_details":{"cached_tokens":8},"output_tokens":3,)"
            R"("output_tokens_details":{"reasoning_tokens":1},"total_tokens":15})");
  EXPECT_EQ(at(b, "/temperature"), "0.5");
  EXPECT_EQ(at(b, "/tools"), "[]");
  EXPECT_EQ(at(b, "/service_tier"), R"("auto")");
  EXPECT_EQ(t.usage.input_tokens, 12);
  EXPECT_EQ(t.usage.output_tokens, 3);
  EXPECT_EQ(t.usage.cached_tokens, 8);
  EXPECT_FALSE(t.incomplete);
  EXPECT_EQ(t.output_messages_json, R"([{"role":"assistant","content":"Hello!"}])");
  ASSERT_EQ(t.output_items.size(), 1u);
  EXPECT_EQ(t.output_items[0].id, "msg_abc_0");
}

TEST(ResponsesResponse, LengthIsIncomplete) {
  const ResponseMeta meta = meta_for(R"({"model":"m","input":"Hi","max_output_tokens":2})");
  const TranslatedResponse t = translate_ok(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hel"},
      "finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2}})",
      meta);
  EXPECT_TRUE(t.incomplete);
  EXPECT_EQ(at(t.body, "/status"), R"("incomplete")");
  EXPECT_EQ(at(t.body, "/incomplete_details"), R"({"reason":"max_output_tokens"})");
  EXPECT_EQ(at(t.body, "/output/0/status"), R"("incomplete")");
  EXPECT_EQ(at(t.body, "/max_output_tokens"), "2");
  EXPECT_EQ(at(t.body, "/usage/total_tokens"), "7");
  EXPECT_EQ(at(t.body, "/usage/input_tokens_details/cached_tokens"), "0");
}

TEST(ResponsesResponse, ToolCallsBecomeFunctionCallItems) {
  const ResponseMeta meta = meta_for(R"({"model":"m","input":"weather?"})");
  const TranslatedResponse t = translate_ok(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
      {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":9}})",
      meta);
  EXPECT_EQ(at(t.body, "/status"), R"("completed")");
  EXPECT_EQ(at(t.body, "/output"),
            R"([{"id":"fc_abc_0","type":"function_call","status":"completed",)"
            R"("arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather"},)"
            R"({"id":"fc_abc_1","type":"function_call","status":"completed","arguments":"{}",)"
            R"("call_id":"call_2","name":"get_time"}])");
  EXPECT_EQ(
      t.output_messages_json,
      R"([{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
      R"("function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},)"
      R"({"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]}])");
  ASSERT_EQ(t.output_items.size(), 2u);
  EXPECT_EQ(t.output_items[1].id, "fc_abc_1");
}

TEST(ResponsesResponse, AnswerRoundTripsThroughTheNextRequest) {
  // The stored items and messages of one turn make the next turn's Chat messages.
  const ResponseMeta meta = meta_for(R"({"model":"m","input":"weather?"})");
  const TranslatedResponse t = translate_ok(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Let me check.",
      "tool_calls":[{"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},
      "finish_reason":"tool_calls"}]})",
      meta);
  ASSERT_EQ(t.output_items.size(), 2u);
  const ItemLookup lookup = [&](std::string_view id) -> std::optional<std::string> {
    for (const OutputItem& item : t.output_items) {
      if (item.id == id) return item.json;
    }
    return std::nullopt;
  };
  // The AI SDK with store: the message by reference, the call inline, then its output.
  const std::string next = R"({"model":"m","input":[{"role":"user","content":"weather?"},
    {"type":"item_reference","id":"msg_abc_0"},{"type":"function_call","call_id":"call_1",
    "name":"w","arguments":"{}","id":"fc_abc_1"},
    {"type":"function_call_output","call_id":"call_1","output":"sunny"}]})";
  auto r = read_responses_request(next, lookup);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(
      r->input_messages_json,
      R"([{"role":"user","content":"weather?"},{"role":"assistant","content":"Let me check.",)"
      R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},)"
      R"({"role":"tool","content":"sunny","tool_call_id":"call_1"}])");
  // previous_response_id instead: the stored messages are the history.
  const std::string history =
      concat_message_arrays({R"([{"role":"user","content":"weather?"}])", t.output_messages_json});
  auto follow = read_responses_request(
      R"({"model":"m","previous_response_id":"resp_abc","input":[{"type":"function_call_output",
      "call_id":"call_1","output":"sunny"}]})");
  ASSERT_TRUE(follow.ok());
  EXPECT_EQ(at(responses_to_chat_body(follow.value(), history), "/messages/1/tool_calls/0/id"),
            R"("call_1")");
}

TEST(ResponsesResponse, LogprobsWhenIncluded) {
  const ResponseMeta meta =
      meta_for(R"({"model":"m","input":"x","include":["message.output_text.logprobs"]})");
  const TranslatedResponse t = translate_ok(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},
      "logprobs":{"content":[{"token":"Hi","logprob":-0.1,"bytes":[72,105],"top_logprobs":[]}]},
      "finish_reason":"stop"}]})",
      meta);
  EXPECT_EQ(at(t.body, "/output/0/content/0/logprobs/0/token"), R"("Hi")");
  EXPECT_FALSE(t.usage.reported);
  EXPECT_EQ(at(t.body, "/usage/input_tokens"), "0");  // usage is always an object
}

TEST(ResponsesResponse, UpstreamNonsenseIsAnError) {
  const ResponseMeta meta = meta_for(R"({"model":"m","input":"x"})");
  for (std::string_view bad :
       {std::string_view("not json"), std::string_view("[]"), std::string_view(R"({"choices":[]})"),
        std::string_view(R"({"error":{"message":"model overloaded"}})"),
        std::string_view(R"({"object":"error","message":"boom"})"),
        std::string_view(R"({"choices":[{"index":0}]})")}) {
    auto r = chat_to_response(bad, meta);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kUpstreamError);
  }
  auto r = chat_to_response(R"({"error":{"message":"model overloaded"}})", meta);
  EXPECT_NE(r.error().message.find("model overloaded"), std::string::npos);
}

}  // namespace
}  // namespace accord
