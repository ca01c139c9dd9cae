#include "translate/responses_request.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

namespace accord {
namespace {

// The value at a JSON pointer ("/messages/0/role") of `json`, minified; "" when absent/invalid.
std::string at(const std::string& json, std::string_view pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, v;
  if (parser.parse(json).get(root) || root.at_pointer(pointer).get(v)) return "";
  return simdjson::to_string(v);
}

bool is_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return !parser.parse(json).get(root);
}

ResponsesRequest read_ok(std::string_view body, const ItemLookup& lookup = {}) {
  auto r = read_responses_request(body, lookup);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : ResponsesRequest{};
}

Error read_error(std::string_view body) {
  auto r = read_responses_request(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? Error{} : r.error();
}

TEST(ResponsesRequest, StringInputWithInstructions) {
  const auto r = read_ok(R"({"model":"frontier-2","input":"Hi there","instructions":"Be brief.",
    "temperature":0.2,"max_output_tokens":64,"user":"u1","metadata":{"k":"v"}})");
  EXPECT_EQ(r.model, "frontier-2");
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.store);
  EXPECT_EQ(r.max_output_tokens, 64);
  EXPECT_EQ(r.input_messages_json, R"([{"role":"user","content":"Hi there"}])");
  const std::string body = responses_to_chat_body(r, "");
  ASSERT_TRUE(is_json(body)) << body;
  EXPECT_EQ(at(body, "/model"), R"("frontier-2")");
  EXPECT_EQ(at(body, "/messages"),
            R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there"}])");
  EXPECT_EQ(at(body, "/temperature"), "0.2");
  EXPECT_EQ(at(body, "/max_completion_tokens"), "64");
  EXPECT_EQ(at(body, "/user"), R"("u1")");
  EXPECT_EQ(at(body, "/metadata"), R"({"k":"v"})");
  EXPECT_EQ(at(body, "/stream"), "");
}

TEST(ResponsesRequest, StreamingAsksForUsage) {
  const auto r = read_ok(R"({"model":"m","input":"x","stream":true,"store":false})");
  EXPECT_TRUE(r.stream);
  EXPECT_FALSE(r.store);
  const std::string body = responses_to_chat_body(r, "");
  EXPECT_EQ(at(body, "/stream"), "true");
  EXPECT_EQ(at(body, "/stream_options"), R"({"include_usage":true})");
}

TEST(ResponsesRequest, MessageItemsAndParts) {
  const auto r = read_ok(R"({"model":"m","input":[
    {"role":"developer","content":"Rules."},
    {"type":"message","role":"user","content":[{"type":"input_text","text":"What is this?"},
      {"type":"input_image","image_url":"https://x/cat.png","detail":"low"}]},
    {"type":"message","role":"assistant","id":"msg_1","status":"completed",
      "content":[{"type":"output_text","text":"A cat.","annotations":[]}]},
    {"role":"user","content":[{"type":"input_text","text":"Thanks"}]}]})");
  EXPECT_EQ(r.input_messages_json,
            R"([{"role":"system","content":"Rules."},)"
            R"({"role":"user","content":[{"type":"text","text":"What is this?"},)"
            R"({"type":"image_url","image_url":{"url":"https://x/cat.png","detail":"low"}}]},)"
            R"({"role":"assistant","content":"A cat."},{"role":"user","content":"Thanks"}])");
}

TEST(ResponsesRequest, FunctionToolsAndToolChoice) {
  const auto r = read_ok(R"({"model":"m","input":"weather?","parallel_tool_calls":false,
    "tools":[{"type":"function","name":"get_weather","description":"Weather now",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}],
    "tool_choice":{"type":"function","name":"get_weather"}})");
  const std::string body = responses_to_chat_body(r, "");
  EXPECT_EQ(at(body, "/tools"),
            R"([{"type":"function","function":{"name":"get_weather","description":"Weather now",)"
            R"("parameters":{"type":"object","properties":{"city":{"type":"string"}}},)"
            R"("strict":true}}])");
  EXPECT_EQ(at(body, "/tool_choice"), R"({"type":"function","function":{"name":"get_weather"}})");
  EXPECT_EQ(at(body, "/parallel_tool_calls"), "false");
  // The Response echoes the tools as the client sent them.
  const std::string echo = "{" + r.echo_json + "}";
  ASSERT_TRUE(is_json(echo)) << echo;
  EXPECT_EQ(at(echo, "/tools/0/name"), R"("get_weather")");
  EXPECT_EQ(at(echo, "/parallel_tool_calls"), "false");
  // Chat refuses tool_choice without tools.
  const auto no_tools = read_ok(R"({"model":"m","input":"x","tools":[],"tool_choice":"none"})");
  EXPECT_EQ(at(responses_to_chat_body(no_tools, ""), "/tool_choice"), "");
}

TEST(ResponsesRequest, ToolCallRoundTrip) {
  // Text, then two calls: one assistant message; their outputs: two tool messages.
  const auto r = read_ok(R"({"model":"m","input":[
    {"role":"user","content":"Weather in Paris and Rome?"},
    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
    {"type":"function_call","id":"fc_1","call_id":"call_a","name":"get_weather",
      "arguments":"{\"city\":\"Paris\"}","status":"completed"},
    {"type":"function_call","call_id":"call_b","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},
    {"type":"function_call_output","call_id":"call_a","output":"18C"},
    {"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"21C"}]}
  ]})");
  EXPECT_EQ(
      r.input_messages_json,
      R"([{"role":"user","content":"Weather in Paris and Rome?"},)"
      R"({"role":"assistant","content":"Checking.","tool_calls":[)"
      R"({"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},)"
      R"({"id":"call_b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},)"
      R"({"role":"tool","content":"18C","tool_call_id":"call_a"},)"
      R"({"role":"tool","content":"21C","tool_call_id":"call_b"}])");
  // A call with no text before it: content null.
  const auto calls = read_ok(R"({"model":"m","input":[{"type":"function_call","call_id":"c",
    "name":"f","arguments":"{}"}]})");
  EXPECT_EQ(calls.input_messages_json,
            R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",)"
            R"("function":{"name":"f","arguments":"{}"}}]}])");
}

TEST(ResponsesRequest, HistoryGoesBetweenInstructionsAndInput) {
  const auto r =
      read_ok(R"({"model":"m","previous_response_id":"resp_1","instructions":"S","input":"next"})");
  EXPECT_EQ(r.previous_response_id, "resp_1");
  const std::string history =
      R"([{"role":"user","content":"a"},{"role":"assistant","content":"b"}])";
  const std::string body = responses_to_chat_body(r, history);
  EXPECT_EQ(at(body, "/messages"),
            R"([{"role":"system","content":"S"},{"role":"user","content":"a"},)"
            R"({"role":"assistant","content":"b"},{"role":"user","content":"next"}])");
  EXPECT_EQ(concat_message_arrays({"", " [ ] ", history, r.input_messages_json}),
            R"([{"role":"user","content":"a"},{"role":"assistant","content":"b"},)"
            R"({"role":"user","content":"next"}])");
  // With previous_response_id, input may be left out.
  EXPECT_EQ(read_ok(R"({"model":"m","previous_response_id":"resp_1"})").input_messages_json, "[]");
}

TEST(ResponsesRequest, ItemReferencesAreResolved) {
  std::map<std::string, std::string, std::less<>> store = {
      {"msg_r_0",
       R"({"id":"msg_r_0","type":"message","status":"completed","role":"assistant",)"
       R"("content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi!"}]})"}};
  const ItemLookup lookup = [&](std::string_view id) -> std::optional<std::string> {
    auto it = store.find(id);
    if (it == store.end()) return std::nullopt;
    return it->second;
  };
  const auto r = read_ok(R"({"model":"m","input":[{"role":"user","content":"Hello"},
    {"type":"item_reference","id":"msg_r_0"},{"role":"user","content":"Again"}]})",
                         lookup);
  EXPECT_EQ(r.input_messages_json,
            R"([{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi!"},)"
            R"({"role":"user","content":"Again"}])");
  auto missing = read_responses_request(
      R"({"model":"m","input":[{"type":"item_reference","id":"msg_x"}]})", lookup);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().param, "input[0].id");
  EXPECT_NE(missing.error().message.find("msg_x"), std::string::npos);
}

TEST(ResponsesRequest, TextFormatBecomesResponseFormat) {
  auto r = read_ok(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema",
    "name":"answer","schema":{"type":"object"},"strict":true},"verbosity":"low"}})");
  std::string body = responses_to_chat_body(r, "");
  EXPECT_EQ(at(body, "/response_format"),
            R"({"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},)"
            R"("strict":true}})");
  EXPECT_EQ(at(body, "/verbosity"), R"("low")");
  EXPECT_EQ(at("{" + r.echo_json + "}", "/text/format/name"), R"("answer")");
  r = read_ok(R"({"model":"m","input":"x","text":{"format":{"type":"json_object"}}})");
  EXPECT_EQ(at(responses_to_chat_body(r, ""), "/response_format"), R"({"type":"json_object"})");
}

TEST(ResponsesRequest, EchoHasDefaults) {
  const auto r = read_ok(R"({"model":"m","input":"x"})");
  const std::string echo = "{" + r.echo_json + "}";
  ASSERT_TRUE(is_json(echo)) << echo;
  EXPECT_EQ(at(echo, "/tools"), "[]");
  EXPECT_EQ(at(echo, "/tool_choice"), R"("auto")");
  EXPECT_EQ(at(echo, "/parallel_tool_calls"), "true");
  EXPECT_EQ(at(echo, "/store"), "true");
  EXPECT_EQ(at(echo, "/temperature"), "1");
  EXPECT_EQ(at(echo, "/text"), R"({"format":{"type":"text"}})");
  EXPECT_EQ(at(echo, "/instructions"), "null");
  EXPECT_EQ(at(echo, "/metadata"), "{}");
  EXPECT_EQ(at(echo, "/truncation"), R"("disabled")");
  // Agents SDK style: nulls and an empty include are fine.
  read_ok(R"({"model":"m","input":"x","include":[],"conversation":null,"prompt":null,
    "previous_response_id":null,"temperature":null,"truncation":"disabled","text":null})");
}

TEST(ResponsesRequest, UntranslatableFieldsAreRefusedByName) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})", "tools[0].type"},
      {R"({"model":"m","input":"x","background":true})", "background"},
      {R"({"model":"m","input":"x","conversation":"conv_1"})", "conversation"},
      {R"({"model":"m","input":"x","prompt":{"id":"pmpt_1"}})", "prompt"},
      {R"({"model":"m","input":"x","truncation":"auto"})", "truncation"},
      {R"({"model":"m","input":"x","include":["file_search_call.results"]})", "include"},
      {R"({"model":"m","input":"x","reasoning":{"summary":"auto"}})", "reasoning.summary"},
      {R"({"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}})",
       "tool_choice.type"},
      {R"({"model":"m","input":"x","text":{"format":{"type":"grammar"}}})", "text.format.type"},
      {R"({"model":"m","input":[{"type":"reasoning","summary":[]}]})", "input[0].type"},
      {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]})",
       "input[0].content[0].file_id"},
      {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"u"}]}]})",
       "input[0].content[0].file_url"},
      {R"({"model":"m","input":[{"type":"item_reference","id":"msg_1"}]})", "input[0].id"},
  };
  for (const auto& [body, param] : cases) {
    const Error e = read_error(body);
    EXPECT_EQ(e.kind, ErrorKind::kInvalidRequest) << body;
    EXPECT_EQ(e.param, param) << body << ": " << e.message;
  }
  EXPECT_NE(
      read_error(R"({"model":"m","input":"x","background":true})").message.find("not supported"),
      std::string::npos);
}

TEST(ResponsesRequest, UnknownAndMalformedFields) {
  Error e = read_error(R"({"model":"m","input":"x","frequency_penalty":1})");
  EXPECT_EQ(e.param, "frequency_penalty");
  EXPECT_EQ(e.message, "Unknown parameter: 'frequency_penalty'.");
  e = read_error(R"({"model":"m","input":"x","temperature":"hot"})");
  EXPECT_EQ(e.param, "temperature");
  EXPECT_EQ(e.message,
            "Invalid type for 'temperature': expected a number, but got a string instead.");
  EXPECT_EQ(read_error(R"({"input":"x"})").param, "model");
  EXPECT_EQ(read_error(R"({"model":"m"})").param, "input");
  EXPECT_EQ(read_error(R"({"model":"m","input":"x","max_output_tokens":0})").param,
            "max_output_tokens");
  EXPECT_EQ(read_error(R"({"model":"m","input":[{"role":"robot","content":"x"}]})").param,
            "input[0].role");
  EXPECT_EQ(read_error(R"({"model":"m","input":[{"type":"function_call","call_id":"c"}]})").param,
            "input[0].name");
  EXPECT_EQ(read_error(R"({"model":"m","input":"x","tools":[{"type":"function"}]})").param,
            "tools[0].name");
  EXPECT_EQ(read_error(R"({"model":"m","input":"x",)").kind, ErrorKind::kInvalidJson);
  EXPECT_EQ(read_error("[1]").kind, ErrorKind::kInvalidRequest);
}

}  // namespace
}  // namespace accord
