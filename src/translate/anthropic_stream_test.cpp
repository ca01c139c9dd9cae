#include "translate/anthropic_stream.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <optional>
#include <vector>

#include "http/openai_error.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

// Sets `out` when `value` is present and of its type.
template <class T>
void read_if_present(simdjson::simdjson_result<T> value, T& out) {
  if (!value.error()) out = value.value_unsafe();
}

// What @anthropic-ai/sdk's MessageStream builds from the events (accumulateMessage), with the
// ordering it relies on checked along the way.
struct Block {
  std::string type, text, id, name, partial_json, input;
};
struct Snapshot {
  std::vector<std::string> events;
  std::vector<Block> content;
  std::string stop_reason;
  std::optional<std::string> stop_sequence;
  int64_t input_tokens = -1, output_tokens = -1, cache_read = -1;
  std::string error_type;
  bool stopped = false;
};

Snapshot accumulate(std::string_view sse) {
  Snapshot s;
  dom::parser parser, input_parser;
  int64_t open = -1;
  while (!sse.empty()) {
    const size_t end = sse.find("\n\n");
    EXPECT_NE(end, std::string_view::npos) << "an event without its blank line";
    if (end == std::string_view::npos) break;
    std::string_view ev = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    EXPECT_EQ(ev.substr(0, 7), "event: ");
    const size_t nl = ev.find('\n');
    const std::string name(ev.substr(7, nl - 7));
    EXPECT_EQ(ev.substr(nl + 1, 6), "data: ");
    const std::string_view data = ev.substr(nl + 7);
    dom::element e;
    EXPECT_FALSE(parser.parse(data.data(), data.size()).get(e)) << data;
    std::string_view type;
    EXPECT_FALSE(e["type"].get_string().get(type));
    EXPECT_EQ(name, type);
    s.events.push_back(name);
    EXPECT_FALSE(s.stopped) << "an event after message_stop";
    if (s.events.size() == 1) {
      EXPECT_TRUE(name == "message_start" || name == "error");
    }
    int64_t index = -1;
    read_if_present(e["index"].get_int64(), index);
    if (name == "message_start") {
      dom::array c;
      EXPECT_FALSE(e["message"]["content"].get_array().get(c));
      EXPECT_EQ(c.size(), 0u);
      read_if_present(e["message"]["usage"]["input_tokens"].get_int64(), s.input_tokens);
    } else if (name == "content_block_start") {
      EXPECT_EQ(open, -1) << "a block started before the last one stopped";
      EXPECT_EQ(index, static_cast<int64_t>(s.content.size()));
      Block b;
      std::string_view v;
      read_if_present(e["content_block"]["type"].get_string(), v);
      b.type = v;
      if (!e["content_block"]["id"].get_string().get(v)) b.id = v;
      if (!e["content_block"]["name"].get_string().get(v)) b.name = v;
      s.content.push_back(b);
      open = index;
    } else if (name == "content_block_delta") {
      EXPECT_GE(index, 0);
      EXPECT_LT(index, static_cast<int64_t>(s.content.size()));
      if (index < 0 || index >= static_cast<int64_t>(s.content.size())) continue;
      Block& b = s.content[index];
      std::string_view v;
      if (!e["delta"]["text"].get_string().get(v)) {
        EXPECT_EQ(b.type, "text");
        b.text += v;
      } else if (!e["delta"]["partial_json"].get_string().get(v)) {
        EXPECT_EQ(b.type, "tool_use");
        b.partial_json += v;
      }
    } else if (name == "content_block_stop") {
      EXPECT_EQ(index, open);
      open = -1;
      Block& b = s.content.at(index);
      if (b.type == "tool_use") {
        dom::element input;
        const std::string json = b.partial_json.empty() ? "{}" : b.partial_json;
        EXPECT_FALSE(input_parser.parse(json).get(input)) << json;
        b.input = simdjson::minify(input);
      }
    } else if (name == "message_delta") {
      EXPECT_EQ(open, -1) << "message_delta inside a block";
      std::string_view v;
      if (!e["delta"]["stop_reason"].get_string().get(v)) s.stop_reason = v;
      if (!e["delta"]["stop_sequence"].get_string().get(v)) s.stop_sequence = std::string(v);
      EXPECT_FALSE(e["usage"]["output_tokens"].get_int64().get(s.output_tokens));
      read_if_present(e["usage"]["input_tokens"].get_int64(), s.input_tokens);
      read_if_present(e["usage"]["cache_read_input_tokens"].get_int64(), s.cache_read);
    } else if (name == "message_stop") {
      s.stopped = true;
    } else if (name == "error") {
      std::string_view v;
      EXPECT_FALSE(e["error"]["type"].get_string().get(v));
      s.error_type = v;
      s.stopped = true;
    } else {
      EXPECT_EQ(name, "ping");
    }
  }
  return s;
}

std::string chunk(std::string_view delta, std::string_view finish = "null") {
  return std::string(R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"b",)"
                     R"("choices":[{"index":0,"delta":)") +
         std::string(delta) + R"(,"finish_reason":)" + std::string(finish) + "}]}";
}
const char* kUsage =
    R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"b","choices":[],)"
    R"("usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,)"
    R"("prompt_tokens_details":{"cached_tokens":10}}})";

std::string run(const std::vector<std::string>& chunks) {
  MessagesStream stream("msg_1", "claude-x");
  std::string out;
  for (const std::string& c : chunks) {
    Status st = stream.on_chunk(c, out);
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  stream.finish(out);
  EXPECT_TRUE(stream.done());
  return out;
}

TEST(AnthropicStream, Text) {
  const std::string out =
      run({chunk(R"({"role":"assistant","content":""})"), chunk(R"({"content":"Hel"})"),
           chunk(R"({"content":"lo."})"), chunk("{}", "\"stop\""), kUsage, "[DONE]"});
  const Snapshot s = accumulate(out);
  EXPECT_EQ(s.events,
            (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  ASSERT_EQ(s.content.size(), 1u);
  EXPECT_EQ(s.content[0].text, "Hello.");
  EXPECT_EQ(s.stop_reason, "end_turn");
  EXPECT_FALSE(s.stop_sequence);
  EXPECT_EQ(s.input_tokens, 20);
  EXPECT_EQ(s.output_tokens, 12);
  EXPECT_EQ(s.cache_read, 10);
}

TEST(AnthropicStream, MessageDeltaWaitsForUsage) {
  MessagesStream stream("msg_1", "m");
  std::string out;
  ASSERT_TRUE(stream.on_chunk(chunk(R"({"content":"x"})"), out).ok());
  ASSERT_TRUE(stream.on_chunk(chunk("{}", "\"length\""), out).ok());
  EXPECT_EQ(out.find("message_delta"), std::string::npos);
  ASSERT_TRUE(stream.on_chunk(kUsage, out).ok());
  EXPECT_TRUE(stream.done());  // usage after the finish ends the message at once
  const Snapshot s = accumulate(out);
  EXPECT_EQ(s.stop_reason, "max_tokens");
  EXPECT_EQ(s.output_tokens, 12);
  ASSERT_TRUE(stream.on_chunk("[DONE]", out).ok());
  EXPECT_EQ(accumulate(out).events.size(), s.events.size());
}

TEST(AnthropicStream, TextThenToolUse) {
  const std::string out = run({
      chunk(R"({"role":"assistant","content":"Let me check."})"),
      chunk(R"({"tool_calls":[{"index":0,"id":"call_a","type":"function",)"
            R"("function":{"name":"get_weather","arguments":""}}]})"),
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})"),
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})"),
      chunk(R"({"tool_calls":[{"index":1,"id":"call_b","type":"function",)"
            R"("function":{"name":"now","arguments":"{}"}}]})"),
      chunk("{}", "\"tool_calls\""),
      kUsage,
      "[DONE]",
  });
  const Snapshot s = accumulate(out);
  ASSERT_EQ(s.content.size(), 3u) << out;
  EXPECT_EQ(s.content[0].type, "text");
  EXPECT_EQ(s.content[0].text, "Let me check.");
  EXPECT_EQ(s.content[1].type, "tool_use");
  EXPECT_EQ(s.content[1].id, "call_a");
  EXPECT_EQ(s.content[1].name, "get_weather");
  EXPECT_EQ(s.content[1].input, R"({"city":"Paris"})");
  EXPECT_EQ(s.content[2].name, "now");
  EXPECT_EQ(s.content[2].input, "{}");
  EXPECT_EQ(s.stop_reason, "tool_use");
}

TEST(AnthropicStream, StopSequenceFromVllm) {
  const std::string out = run({chunk(R"({"content":"a"})"),
                               R"({"choices":[{"index":0,"delta":{},)"
                               R"("finish_reason":"stop","stop_reason":"END"}]})",
                               "[DONE]"});
  const Snapshot s = accumulate(out);
  EXPECT_EQ(s.stop_reason, "stop_sequence");
  EXPECT_EQ(s.stop_sequence, "END");
  EXPECT_EQ(s.output_tokens, 0);  // no usage chunk came
}

TEST(AnthropicStream, InvalidChunkIsAnErrorValue) {
  MessagesStream stream("msg_1", "m");
  std::string out;
  ASSERT_TRUE(stream.on_chunk(chunk(R"({"content":"x"})"), out).ok());
  Status st = stream.on_chunk("{\"choices\":[", out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUpstreamError);
  stream.fail(st.error(), out);
  EXPECT_TRUE(stream.done());
  const Snapshot s = accumulate(out);
  EXPECT_EQ(s.events.back(), "error");
  EXPECT_EQ(s.error_type, "api_error");
  stream.finish(out);  // nothing after the error
  EXPECT_EQ(accumulate(out).events.back(), "error");
}

TEST(AnthropicStream, BackendErrorMidStream) {
  MessagesStream stream("msg_1", "m");
  std::string out;
  Status st = stream.on_chunk(R"({"error":{"message":"CUDA out of memory","code":500}})", out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "CUDA out of memory");
  stream.fail(Error::upstream(ErrorKind::kUnavailable, "overloaded", true), out);
  const Snapshot s = accumulate(out);
  EXPECT_EQ(s.events, std::vector<std::string>{"error"});
  EXPECT_EQ(s.error_type, "overloaded_error");
}

TEST(AnthropicStream, ToolCallDeltaWithoutFunction) {  // found by fuzzing: no null object read
  const Snapshot s = accumulate(run({chunk(R"({"tool_calls":[{"index":0,"id":"call_a"}]})"),
                                     chunk(R"({"tool_calls":[{"function":{"arguments":"{}"}}]})"),
                                     chunk("{}", "\"tool_calls\""), "[DONE]"}));
  ASSERT_EQ(s.content.size(), 1u);
  EXPECT_EQ(s.content[0].id, "call_a");
  EXPECT_EQ(s.content[0].input, "{}");
}

TEST(AnthropicStream, EmptyAnswerStillEndsWell) {
  const Snapshot s = accumulate(run({"[DONE]"}));
  EXPECT_EQ(s.events,
            (std::vector<std::string>{"message_start", "ping", "message_delta", "message_stop"}));
  EXPECT_EQ(s.stop_reason, "end_turn");
}

}  // namespace
}  // namespace accord
