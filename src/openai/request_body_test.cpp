#include "openai/request_body.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

namespace accord {
namespace {

std::string padded(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 64);
  out.append(s);
  return out;
}

Result<RequestBody> read(const std::string& json, ApiKind kind = ApiKind::kChat) {
  static std::string storage;
  storage = padded(json);
  return read_request_body(storage, kind);
}

TEST(RequestBody, ReadsWhatPolicyNeeds) {
  auto r = read(R"({"model":"frontier-2","messages":[{"role":"system","content":"Be brief."},
    {"role":"user","content":[{"type":"text","text":"héllo"}]}],"max_tokens":64,"n":2,
    "stream":true,"service_tier":"priority","stop":["\n\n","END"],"temperature":0.2,"x":{"y":1}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "frontier-2");
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->max_tokens, 64);
  EXPECT_EQ(r->n, 2);
  EXPECT_EQ(r->service_tier, ServiceTier::kPriority);
  EXPECT_EQ(r->stop.size(), 2u);
  EXPECT_EQ(r->prompt_parts, 2);
  EXPECT_EQ(r->prompt_bytes, 9 + 6);  // "Be brief." and "héllo" in UTF-8
}

TEST(RequestBody, MaxCompletionTokensIsTheSameCap) {
  auto r =
      read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":7})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_tokens, 7);
}

TEST(RequestBody, MalformedJsonIsInvalidJson) {
  auto r = read(R"({"model":"m","messages":[)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJson);
  r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}]} trailing)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJson);
}

TEST(RequestBody, InvalidUtf8IsRejected) {
  auto r = read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJson);
}

TEST(RequestBody, WrongTypesNameTheField) {
  auto r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"ten"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "max_tokens");
  EXPECT_EQ(r.error().message,
            "Invalid type for 'max_tokens': expected an integer, but got a string instead.");
  r = read(R"({"model":7,"messages":[]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "model");
  r = read(R"({"model":"m","messages":"hi"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "messages");
  r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "stream");
  r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "temperature");
}

TEST(RequestBody, MissingRequiredFields) {
  auto r = read(R"({"messages":[{"role":"user","content":"x"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "model");
  r = read(R"({"model":"m"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "messages");
  r = read(R"({"model":"m"})", ApiKind::kCompletion);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "prompt");
}

TEST(RequestBody, RangesAreChecked) {
  auto r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":1000})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "n");
  r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "max_tokens");
  r = read(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "stop");
}

// Every way a client can write (or omit) stream_options ends up asking for usage upstream, and
// the edited body is still valid JSON with everything else intact.
TEST(RequestBody, StreamsAlwaysAskForUsageUpstream) {
  const std::vector<std::string> bodies = {
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true})",
      R"({"model":"m","stream":true,"stream_options":{},"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","stream":true,"stream_options":{"include_usage":null,"x":1},"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","stream":true,"stream_options":null,"messages":[{"role":"user","content":"x"}]})",
      R"( { "model" : "m" , "stream" : true , "stream_options" : { "continuous" : true } , "messages":[{"role":"user","content":"x"}]})",
  };
  for (const std::string& body : bodies) {
    auto r = read(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_FALSE(r->include_usage);
    ASSERT_TRUE(r->usage_edit.has_value()) << body;
    const std::string edited = padded(apply_edits(body, {&*r->usage_edit}));
    auto again = read_request_body(edited, ApiKind::kChat);
    ASSERT_TRUE(again.ok()) << edited;
    EXPECT_TRUE(again->include_usage) << edited;
    EXPECT_FALSE(again->usage_edit.has_value());
  }
  auto r = read(
      R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->include_usage);
  EXPECT_FALSE(r->usage_edit.has_value());
  r = read(R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->usage_edit.has_value());
}

TEST(RequestBody, ModelPositionAllowsRenaming) {
  const std::string body = R"({"model" : "fr\"ontier","messages":[{"role":"user","content":"x"}]})";
  auto r = read(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(body.substr(r->model_offset, r->model_length), R"("fr\"ontier")");
  BodyEdit rename{r->model_offset, r->model_length, "\"llama\""};
  EXPECT_EQ(apply_edits(body, {&rename}),
            R"({"model" : "llama","messages":[{"role":"user","content":"x"}]})");
}

TEST(RequestBody, EmbeddingInputs) {
  auto r =
      read(R"({"model":"e","input":["ab","cde"],"encoding_format":"base64"})", ApiKind::kEmbedding);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[1].bytes, 3);
  EXPECT_TRUE(r->base64);
  r = read(R"({"model":"e","input":"one"})", ApiKind::kEmbedding);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inputs.size(), 1u);
  r = read(R"({"model":"e","input":[[1,2,3],[4]]})", ApiKind::kEmbedding);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].tokens, 3);
  r = read(R"({"model":"e","input":[1,2,3]})", ApiKind::kEmbedding);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].tokens, 3);
  r = read(R"({"model":"e","input":"x","encoding_format":"hex"})", ApiKind::kEmbedding);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().param, "encoding_format");
}

TEST(RequestBody, NotAnObject) {
  auto r = read("[1,2]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest);
}

// Found by fuzz/request_body_fuzz: a malformed literal where null may stand ("stop":n_) made
// simdjson throw from is_null(); the gateway closed the connection without an answer.
TEST(RequestBody, AMalformedLiteralIsAnErrorNotAnException) {
  for (const char* field : {"stop", "max_tokens", "n", "stream_options", "service_tier"}) {
    const std::string body = fmt::format(
        R"({{"model":"m","messages":[{{"role":"user","content":"x"}}],"{}":n\_"n"}})", field);
    auto r = read(body);
    ASSERT_FALSE(r.ok()) << field;
  }
  auto r = read(R"({"model":"m","messages":[{"role":"user","content":nul}]})");
  ASSERT_FALSE(r.ok());
}

TEST(FindModelString, TheTopLevelModelsSpanQuotesIncluded) {
  const std::string body = R"({"messages":[{"model":"x"}], "model" : "cl\"aude" ,"n":1})";
  const auto edit = find_model_string(body);
  ASSERT_TRUE(edit.has_value());
  EXPECT_EQ(body.substr(edit->offset, edit->erase), R"("cl\"aude")");
  EXPECT_FALSE(find_model_string(R"({"model":7})").has_value());
  EXPECT_FALSE(find_model_string(R"([1])").has_value());
  EXPECT_FALSE(find_model_string("{").has_value());
}

}  // namespace
}  // namespace accord
