#include "translate/native_only.h"

#include <gtest/gtest.h>

#include "translate/anthropic_request.h"
#include "translate/responses_request.h"

namespace accord {
namespace {

TEST(NativeOnly, TheTranslatorsMarkWhatOnlyTheirApisUpstreamsTake) {
  auto reasoning =
      read_responses_request(R"({"model":"m","input":"hi","reasoning":{"summary":"auto"}})");
  ASSERT_FALSE(reasoning.ok());
  EXPECT_TRUE(only_native_upstreams_take(reasoning.error()));
  auto newer = read_responses_request(R"({"model":"m","input":"hi","newer":1})");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code, kUnknownParameter);
  EXPECT_TRUE(only_native_upstreams_take(newer.error()));
  auto thinking = read_messages_request(
      R"({"model":"m","max_tokens":9,"thinking":{"type":"enabled","budget_tokens":1024},)"
      R"("messages":[]})");
  ASSERT_FALSE(thinking.ok());
  EXPECT_TRUE(only_native_upstreams_take(thinking.error()));

  // Wrong in any API: not for a relay.
  auto wrong = read_responses_request(R"({"model":"m","input":7})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_FALSE(only_native_upstreams_take(wrong.error()));
  auto missing = read_messages_request(R"({"model":"m","messages":[]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(only_native_upstreams_take(missing.error()));
}

TEST(NativeOnly, PolicyReadsTheModelTheCapTheStreamAndTheWholeBodyAsThePrompt) {
  const std::string body =
      R"({"model":"m","stream":true,"store":false,"previous_response_id":"resp_1",)"
      R"("max_output_tokens":64,"tools":[{"type":"web_search"}]})";
  auto r = read_native_only_request(body, "max_output_tokens");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().model, "m");
  EXPECT_TRUE(r.value().stream);
  EXPECT_FALSE(r.value().store);
  EXPECT_EQ(r.value().previous_response_id, "resp_1");
  EXPECT_EQ(r.value().chat_body,
            R"({"model":"m","messages":[{"role":"user","content":"{\"model\":\"m\",\"stream\":)"
            R"(true,\"store\":false,\"previous_response_id\":\"resp_1\",\"max_output_tokens\":64,)"
            R"(\"tools\":[{\"type\":\"web_search\"}]}"}],"max_completion_tokens":64,)"
            R"("stream":true,"stream_options":{"include_usage":true}})");
}

TEST(NativeOnly, PolicyRefusesABodyWithoutAModelOrWithWrongTypes) {
  EXPECT_EQ(read_native_only_request("[1]", "max_tokens").error().kind, ErrorKind::kInvalidJson);
  EXPECT_EQ(read_native_only_request(R"({"stream":true})", "max_tokens").error().param, "model");
  EXPECT_EQ(read_native_only_request(R"({"model":"m","max_tokens":0})", "max_tokens").error().param,
            "max_tokens");
  EXPECT_EQ(read_native_only_request(R"({"model":"m","stream":"yes"})", "max_tokens").error().param,
            "stream");
}

}  // namespace
}  // namespace accord
