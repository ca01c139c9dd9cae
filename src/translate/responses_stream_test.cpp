#include "translate/responses_stream.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "translate/responses_error.h"
#include "translate/responses_request.h"

namespace accord {
namespace {

struct Event {
  std::string name;
  std::string data;
};

std::string at(const std::string& json, std::string_view pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, v;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(v)) return "";
  return simdjson::to_string(v);
}

// Splits the SSE text into events, checking the framing, that each data is JSON whose "type" is
// the event's name, and that sequence numbers count up from 0.
std::vector<Event> parse_events(const std::string& sse) {
  std::vector<Event> events;
  size_t pos = 0;
  while (pos < sse.size()) {
    const size_t end = sse.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event";
    if (end == std::string::npos) break;
    const std::string block = sse.substr(pos, end - pos);
    pos = end + 2;
    const size_t newline = block.find('\n');
    EXPECT_EQ(block.substr(0, 7), "event: ");
    EXPECT_EQ(block.substr(newline + 1, 6), "data: ");
    Event e{block.substr(7, newline - 7), block.substr(newline + 7)};
    EXPECT_EQ(at(e.data, "/type"), "\"" + e.name + "\"") << e.data;
    EXPECT_EQ(at(e.data, "/sequence_number"), std::to_string(events.size())) << e.data;
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<std::string> names(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.name);
  return out;
}

ResponseMeta meta_for(std::string_view body) {
  auto request = read_responses_request(body);
  EXPECT_TRUE(request.ok());
  return make_response_meta(request.value(), "resp_s1", 1700000000);
}

std::string text_chunk(std::string_view content, std::string_view finish = "null") {
  return R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":")" +
         std::string(content) + R"("},"finish_reason":)" + std::string(finish) + "}]}";
}

constexpr std::string_view kUsageChunk =
    R"({"id":"c","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,)"
    R"("total_tokens":14,"prompt_tokens_details":{"cached_tokens":6}}})";

TEST(ResponsesStream, TextEventSequence) {
  ResponsesStream stream(meta_for(R"({"model":"frontier-2","input":"Hi","stream":true})"));
  std::string out;
  stream.begin(out);
  ASSERT_TRUE(
      stream.feed(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})", out));
  ASSERT_TRUE(stream.feed(text_chunk("Hel"), out));
  ASSERT_TRUE(stream.feed(text_chunk("lo", R"("stop")"), out));
  ASSERT_TRUE(stream.feed(kUsageChunk, out));
  stream.finish(out);
  const auto events = parse_events(out);
  EXPECT_EQ(names(events),
            (std::vector<std::string>{"response.created", "response.in_progress",
                                      "response.output_item.added", "response.content_part.added",
                                      "response.output_text.delta", "response.output_text.delta",
                                      "response.output_text.done", "response.content_part.done",
                                      "response.output_item.done", "response.completed"}));
  EXPECT_EQ(at(events[0].data, "/response/status"), R"("in_progress")");
  EXPECT_EQ(at(events[0].data, "/response/model"), R"("frontier-2")");
  EXPECT_EQ(at(events[0].data, "/response/output"), "[]");
  EXPECT_EQ(at(events[2].data, "/item"),
            R"({"id":"msg_s1_0","type":"message","status":"in_progress","content":[],)"
            R"("role":"assistant"})");
  EXPECT_EQ(at(events[3].data, "/part"),
            R"({"type":"output_text","annotations":[],"logprobs":[],"text":""})");
  const std::string& delta = events[4].data;
  EXPECT_EQ(at(delta, "/item_id"), R"("msg_s1_0")");
  EXPECT_EQ(at(delta, "/output_index"), "0");
  EXPECT_EQ(at(delta, "/content_index"), "0");
  EXPECT_EQ(at(delta, "/delta"), R"("Hel")");
  EXPECT_EQ(at(delta, "/logprobs"), "[]");
  EXPECT_EQ(at(events[6].data, "/text"), R"("Hello")");
  EXPECT_EQ(at(events[7].data, "/part/text"), R"("Hello")");
  EXPECT_EQ(at(events[8].data, "/item/status"), R"("completed")");
  const std::string& done = events[9].data;
  EXPECT_EQ(at(done, "/response/status"), R"("completed")");
  EXPECT_EQ(at(done, "/response/output/0/content/0/text"), R"("Hello")");
  EXPECT_EQ(at(done, "/response/usage"),
            R"({"input_tokens":10,"input_tokens_details":{"cached_tokens":6},"output_tokens":4,)"
            R"("output_tokens_details":{"reasoning_tokens":0},"total_tokens":14})");
  EXPECT_TRUE(stream.done());
  EXPECT_EQ(at(done, "/response"), stream.response_json());
  EXPECT_EQ(stream.output_messages_json(), R"([{"role":"assistant","content":"Hello"}])");
  EXPECT_EQ(stream.usage().cached_tokens, 6);
  ASSERT_EQ(stream.output_items().size(), 1u);
  EXPECT_EQ(stream.output_items()[0].id, "msg_s1_0");
}

TEST(ResponsesStream, TextThenTwoToolCalls) {
  ResponsesStream stream(meta_for(R"({"model":"m","input":"weather?","stream":true})"));
  std::string out;
  const char* chunks[] = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Checking."}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function",
        "function":{"name":"get_weather","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function",
        "function":{"name":"get_time","arguments":"{}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
  };
  for (const char* chunk : chunks) ASSERT_TRUE(stream.feed(chunk, out)) << chunk;
  stream.finish(out);
  const auto events = parse_events(out);
  EXPECT_EQ(
      names(events),
      (std::vector<std::string>{
          "response.created", "response.in_progress",
          // the text item, closed when the first call starts
          "response.output_item.added", "response.content_part.added", "response.output_text.delta",
          "response.output_text.done", "response.content_part.done", "response.output_item.done",
          // call_a, then call_b, both closed at the end
          "response.output_item.added", "response.function_call_arguments.delta",
          "response.function_call_arguments.delta", "response.output_item.added",
          "response.function_call_arguments.delta", "response.function_call_arguments.done",
          "response.output_item.done", "response.function_call_arguments.done",
          "response.output_item.done", "response.completed"}));
  EXPECT_EQ(at(events[8].data, "/output_index"), "1");
  EXPECT_EQ(at(events[8].data, "/item"),
            R"({"id":"fc_s1_1","type":"function_call","status":"in_progress","arguments":"",)"
            R"("call_id":"call_a","name":"get_weather"})");
  EXPECT_EQ(at(events[9].data, "/item_id"), R"("fc_s1_1")");
  EXPECT_EQ(at(events[9].data, "/delta"), R"("{\"city\":")");
  EXPECT_EQ(at(events[11].data, "/output_index"), "2");
  EXPECT_EQ(at(events[13].data, "/arguments"), R"("{\"city\":\"Paris\"}")");
  EXPECT_EQ(at(events[13].data, "/name"), R"("get_weather")");
  EXPECT_EQ(at(events[14].data, "/item/status"), R"("completed")");
  const std::string& done = events[17].data;
  EXPECT_EQ(at(done, "/response/output/0/type"), R"("message")");
  EXPECT_EQ(at(done, "/response/output/1/call_id"), R"("call_a")");
  EXPECT_EQ(at(done, "/response/output/2/name"), R"("get_time")");
  EXPECT_EQ(at(done, "/response/usage/input_tokens"), "0");  // the upstream sent none
  EXPECT_EQ(stream.output_messages_json(),
            R"([{"role":"assistant","content":"Checking.","tool_calls":[)"
            R"({"id":"call_a","type":"function","function":{"name":"get_weather",)"
            R"("arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b","type":"function",)"
            R"("function":{"name":"get_time","arguments":"{}"}}]}])");
}

TEST(ResponsesStream, LengthIsIncomplete) {
  ResponsesStream stream(meta_for(R"({"model":"m","input":"x","max_output_tokens":1})"));
  std::string out;
  ASSERT_TRUE(stream.feed(text_chunk("Hi", R"("length")"), out));
  stream.finish(out);
  const auto events = parse_events(out);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "response.incomplete");
  EXPECT_EQ(at(events.back().data, "/response/incomplete_details/reason"),
            R"("max_output_tokens")");
  EXPECT_EQ(at(events.back().data, "/response/output/0/status"), R"("incomplete")");
  EXPECT_TRUE(stream.incomplete());
}

TEST(ResponsesStream, InvalidChunkIsAnErrorThenFail) {
  ResponsesStream stream(meta_for(R"({"model":"m","input":"x"})"));
  std::string out;
  ASSERT_TRUE(stream.feed(text_chunk("partial"), out));
  const size_t before = out.size();
  Status s = stream.feed(R"({"choices":[{"index":0,"delta":{"content":"x"}})", out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kUpstreamError);
  EXPECT_EQ(out.size(), before);  // nothing written
  s = stream.feed(R"({"error":{"message":"engine died"}})", out);
  ASSERT_FALSE(s.ok());
  stream.fail(to_response_error(s.error()), out);
  const auto events = parse_events(out);
  ASSERT_GE(events.size(), 2u);
  const Event& error = events[events.size() - 2];
  EXPECT_EQ(error.name, "error");
  EXPECT_NE(at(error.data, "/message").find("engine died"), std::string::npos);
  EXPECT_EQ(at(error.data, "/code"), R"("upstream_error")");
  EXPECT_EQ(at(error.data, "/error/type"), R"("server_error")");
  EXPECT_EQ(events.back().name, "response.failed");
  EXPECT_EQ(at(events.back().data, "/response/status"), R"("failed")");
  EXPECT_EQ(at(events.back().data, "/response/error/code"), R"("upstream_error")");
  EXPECT_EQ(at(events.back().data, "/response/output"), "[]");  // the open item was not finished
  EXPECT_TRUE(stream.done());
  const size_t after = out.size();
  stream.finish(out);  // no-op once failed
  EXPECT_EQ(out.size(), after);
}

TEST(ResponsesStream, EmptyAnswerIsOneEmptyMessage) {
  ResponsesStream stream(meta_for(R"({"model":"m","input":"x"})"));
  std::string out;
  ASSERT_TRUE(stream.feed(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})", out));
  ASSERT_TRUE(stream.feed(kUsageChunk, out));
  stream.finish(out);
  const auto events = parse_events(out);
  EXPECT_EQ(events.size(), 8u);
  EXPECT_EQ(at(events.back().data, "/response/output/0/content/0/text"), R"("")");
  EXPECT_EQ(at(events.back().data, "/response/usage/output_tokens"), "4");
}

TEST(ResponsesStream, LogprobsRideOnDeltas) {
  ResponsesStream stream(
      meta_for(R"({"model":"m","input":"x","include":["message.output_text.logprobs"]})"));
  std::string out;
  ASSERT_TRUE(stream.feed(R"({"choices":[{"index":0,"delta":{"content":"Hi"},
    "logprobs":{"content":[{"token":"Hi","logprob":-0.5,"top_logprobs":[]}]}}]})",
                          out));
  stream.finish(out);
  const auto events = parse_events(out);
  EXPECT_EQ(at(events[4].data, "/logprobs/0/token"), R"("Hi")");
  EXPECT_EQ(at(events[5].data, "/logprobs/0/logprob"), "-0.5");
  EXPECT_EQ(at(stream.response_json(), "/output/0/content/0/logprobs/0/token"), R"("Hi")");
}

}  // namespace
}  // namespace accord
