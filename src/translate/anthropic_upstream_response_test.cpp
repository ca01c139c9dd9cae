#include "translate/anthropic_upstream_response.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <vector>

#include "core/error.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

TEST(AnthropicUpstreamResponse, WholeMessage) {
  auto r = message_to_chat(
      R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",)"
      R"("content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1",)"
      R"("name":"w","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,)"
      R"("usage":{"input_tokens":20,"cache_creation_input_tokens":5,)"
      R"("cache_read_input_tokens":100,"output_tokens":12}})",
      "chatcmpl-1", "frontier", 1700000000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,)"
                R"("model":"frontier","choices":[{"index":0,"message":{"role":"assistant",)"
                R"("content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function",)"
                R"("function":{"name":"w","arguments":"{\"city\":\"Paris\"}"}}]},)"
                R"("logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":125,)"
                R"("completion_tokens":12,"total_tokens":137,)"
                R"("prompt_tokens_details":{"cached_tokens":100}}})");
}

TEST(AnthropicUpstreamResponse, FinishReasons) {
  auto finish = [](std::string_view stop) {
    auto r = message_to_chat(std::string(R"({"type":"message","content":[],"stop_reason":")") +
                                 std::string(stop) + "\"}",
                             "c", "m", 0);
    EXPECT_TRUE(r.ok());
    const size_t at = r->find("\"finish_reason\":\"");
    return r->substr(at + 17, r->find('"', at + 17) - at - 17);
  };
  EXPECT_EQ(finish("end_turn"), "stop");
  EXPECT_EQ(finish("stop_sequence"), "stop");
  EXPECT_EQ(finish("pause_turn"), "stop");
  EXPECT_EQ(finish("max_tokens"), "length");
  EXPECT_EQ(finish("model_context_window_exceeded"), "length");
  EXPECT_EQ(finish("tool_use"), "tool_calls");
  EXPECT_EQ(finish("refusal"), "content_filter");
}

TEST(AnthropicUpstreamResponse, ErrorBodyIsItsError) {
  auto r = message_to_chat(
      R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", "c", "m",
      0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(message_to_chat("not json", "c", "m", 0).error().kind, ErrorKind::kUpstreamError);
}

// What the openai SDKs build from the chunks, with the chunk invariants checked.
struct Accumulated {
  std::string role, content, finish_reason;
  struct Call {
    std::string id, name, arguments;
  };
  std::vector<Call> calls;
  int64_t prompt_tokens = -1, completion_tokens = -1, cached_tokens = -1;
  bool done = false;
};

Accumulated accumulate(std::string_view sse) {
  Accumulated a;
  dom::parser parser;
  while (!sse.empty()) {
    const size_t end = sse.find("\n\n");
    EXPECT_NE(end, std::string_view::npos);
    if (end == std::string_view::npos) break;
    std::string_view line = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    EXPECT_EQ(line.substr(0, 6), "data: ");
    line.remove_prefix(6);
    EXPECT_FALSE(a.done) << "data after [DONE]";
    if (line == "[DONE]") {
      a.done = true;
      continue;
    }
    dom::element c;
    EXPECT_FALSE(parser.parse(line.data(), line.size()).get(c)) << line;
    std::string_view s;
    EXPECT_FALSE(c["object"].get_string().get(s));
    EXPECT_EQ(s, "chat.completion.chunk");
    dom::array choices;
    EXPECT_FALSE(c["choices"].get_array().get(choices));
    if (choices.size() == 0) {
      EXPECT_FALSE(c["usage"]["prompt_tokens"].get_int64().get(a.prompt_tokens));
      EXPECT_FALSE(c["usage"]["completion_tokens"].get_int64().get(a.completion_tokens));
      EXPECT_FALSE(
          c["usage"]["prompt_tokens_details"]["cached_tokens"].get_int64().get(a.cached_tokens));
      continue;
    }
    dom::element choice = choices.at(0).value_unsafe();
    dom::object delta;
    EXPECT_FALSE(choice["delta"].get_object().get(delta));
    if (!delta["role"].get_string().get(s)) a.role = s;
    if (!delta["content"].get_string().get(s)) a.content += s;
    dom::array calls;
    if (!delta["tool_calls"].get_array().get(calls)) {
      for (dom::element call : calls) {
        int64_t index = -1;
        EXPECT_FALSE(call["index"].get_int64().get(index));
        if (index == static_cast<int64_t>(a.calls.size())) a.calls.emplace_back();
        EXPECT_LT(index, static_cast<int64_t>(a.calls.size()));
        if (index < 0 || index >= static_cast<int64_t>(a.calls.size())) continue;
        auto& acc = a.calls[index];
        if (!call["id"].get_string().get(s)) acc.id = s;
        if (!call["function"]["name"].get_string().get(s)) acc.name = s;
        if (!call["function"]["arguments"].get_string().get(s)) acc.arguments += s;
      }
    }
    if (!choice["finish_reason"].get_string().get(s)) a.finish_reason = s;
  }
  return a;
}

std::string run(ChatFromMessagesStream& stream, const std::vector<std::string>& events) {
  std::string out;
  for (const std::string& e : events) {
    Status st = stream.on_event(e, out);
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  return out;
}

const char* kStart =
    R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
    R"("content":[],"model":"claude","stop_reason":null,"stop_sequence":null,)"
    R"("usage":{"input_tokens":25,"cache_read_input_tokens":100,)"
    R"("cache_creation_input_tokens":0,"output_tokens":1}}})";

TEST(AnthropicUpstreamResponse, StreamTextThenToolUse) {
  ChatFromMessagesStream stream("chatcmpl-1", "frontier", 1);
  const std::string out = run(
      stream,
      {kStart, R"({"type":"ping"})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let "}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"me."}})",
       R"({"type":"content_block_stop","index":0})",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use",)"
       R"("id":"toolu_1","name":"w","input":{}}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",)"
       R"("partial_json":"{\"city\": "}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",)"
       R"("partial_json":"\"Paris\"}"}})",
       R"({"type":"content_block_stop","index":1})",
       R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},)"
       R"("usage":{"output_tokens":30}})",
       R"({"type":"message_stop"})"});
  EXPECT_TRUE(stream.done());
  const Accumulated a = accumulate(out);
  EXPECT_EQ(a.role, "assistant");
  EXPECT_EQ(a.content, "Let me.");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].id, "toolu_1");
  EXPECT_EQ(a.calls[0].name, "w");
  EXPECT_EQ(a.calls[0].arguments, R"({"city": "Paris"})");
  EXPECT_EQ(a.finish_reason, "tool_calls");
  EXPECT_EQ(a.prompt_tokens, 125);
  EXPECT_EQ(a.completion_tokens, 30);
  EXPECT_EQ(a.cached_tokens, 100);
  EXPECT_TRUE(a.done);
  // The first chunk carries the role, the last two are the usage chunk and [DONE].
  EXPECT_EQ(out.find(R"("delta":{"role":"assistant"})"), out.find("\"delta\""));
  EXPECT_EQ(out.substr(out.size() - 14), "data: [DONE]\n\n");
}

TEST(AnthropicUpstreamResponse, StreamErrorEventIsAnError) {
  ChatFromMessagesStream stream("c", "m", 1);
  std::string out;
  ASSERT_TRUE(stream.on_event(kStart, out).ok());
  Status st = stream.on_event(
      R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_FALSE(stream.done());
}

TEST(AnthropicUpstreamResponse, StreamOutOfOrderOrInvalid) {
  ChatFromMessagesStream stream("c", "m", 1);
  std::string out;
  EXPECT_FALSE(stream.on_event(R"({"type":"message_stop"})", out).ok());
  EXPECT_FALSE(stream.on_event("{\"type\":", out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace accord
