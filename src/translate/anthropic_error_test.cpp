#include "translate/anthropic_error.h"

#include <gtest/gtest.h>

#include "http/openai_error.h"

namespace accord {
namespace {

TEST(AnthropicError, BodyShape) {
  const Error e =
      Error::client(ErrorKind::kInvalidRequest, "max_tokens: Field required", "max_tokens");
  EXPECT_EQ(anthropic_error_body(e), R"({"type":"error","error":{"type":"invalid_request_error",)"
                                     R"("message":"max_tokens: Field required"}})");
  EXPECT_EQ(anthropic_error_body(e, "req_1"),
            R"({"type":"error","error":{"type":"invalid_request_error",)"
            R"("message":"max_tokens: Field required"},"request_id":"req_1"})");
}

TEST(AnthropicError, TypesAgreeWithStatuses) {
  struct Row {
    ErrorKind kind;
    int status;
    std::string_view type;
  };
  for (const Row& r : {
           Row{ErrorKind::kInvalidRequest, 400, "invalid_request_error"},
           Row{ErrorKind::kInvalidJson, 400, "invalid_request_error"},
           Row{ErrorKind::kUnauthorized, 401, "authentication_error"},
           Row{ErrorKind::kForbidden, 403, "permission_error"},
           Row{ErrorKind::kModelNotAvailable, 403, "permission_error"},
           Row{ErrorKind::kModelNotFound, 404, "not_found_error"},
           Row{ErrorKind::kRouteNotFound, 404, "not_found_error"},
           Row{ErrorKind::kPayloadTooLarge, 413, "request_too_large"},
           Row{ErrorKind::kRateLimited, 429, "rate_limit_error"},
           Row{ErrorKind::kBudgetExceeded, 429, "rate_limit_error"},
           Row{ErrorKind::kCapacityExceeded, 429, "rate_limit_error"},
           Row{ErrorKind::kInternal, 500, "api_error"},
           Row{ErrorKind::kUpstreamError, 502, "api_error"},
           Row{ErrorKind::kUnavailable, 503, "overloaded_error"},
           Row{ErrorKind::kPreempted, 503, "overloaded_error"},
           Row{ErrorKind::kUpstreamTimeout, 504, "timeout_error"},
       }) {
    EXPECT_EQ(anthropic_error_type(r.kind), r.type);
    EXPECT_EQ(http_status(r.kind), r.status) << r.type;
    // Anthropic's own table agrees with the status accord sends.
    EXPECT_EQ(anthropic_error_type_for_status(r.status), r.type) << r.status;
  }
}

TEST(AnthropicError, StreamEvent) {
  EXPECT_EQ(anthropic_error_event(Error::upstream(ErrorKind::kUnavailable, "Overloaded", true)),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"Overloaded\"}}\n\n");
}

TEST(AnthropicError, FromAnOpenAiBody) {
  EXPECT_EQ(anthropic_error_from_openai(
                R"({"error":{"message":"This model's maximum context length is 8192 tokens.",)"
                R"("type":"BadRequestError","param":null,"code":400}})",
                400),
            R"({"type":"error","error":{"type":"invalid_request_error",)"
            R"("message":"This model's maximum context length is 8192 tokens."}})");
  // vLLM's older shape, and a body that is not JSON at all.
  EXPECT_EQ(anthropic_error_from_openai(R"({"object":"error","message":"busy"})", 503),
            R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})");
  EXPECT_EQ(anthropic_error_from_openai("Bad Gateway", 502),
            R"({"type":"error","error":{"type":"api_error","message":"Bad Gateway"}})");
  EXPECT_EQ(anthropic_error_from_openai("", 429),
            R"({"type":"error","error":{"type":"rate_limit_error",)"
            R"("message":"The upstream answered with an error and no message."}})");
}

TEST(AnthropicError, FromAnAnthropicUpstream) {
  const Error bad = error_from_anthropic(
      R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}})",
      400);
  EXPECT_EQ(bad.kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(bad.source, ErrorSource::kClient);
  EXPECT_NE(bad.message.find("max_tokens: too big"), std::string::npos);

  const Error overloaded = error_from_anthropic(
      R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", 529);
  EXPECT_EQ(overloaded.kind, ErrorKind::kUnavailable);
  EXPECT_TRUE(overloaded.retryable);

  const Error auth = error_from_anthropic(
      R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
      401);
  EXPECT_EQ(auth.kind, ErrorKind::kUpstreamError);  // the gateway's key, not the client's
  EXPECT_EQ(auth.source, ErrorSource::kUpstream);

  EXPECT_EQ(error_from_anthropic("<html>", 529).kind, ErrorKind::kUnavailable);
  EXPECT_EQ(error_from_anthropic("", 429).kind, ErrorKind::kRateLimited);
  EXPECT_EQ(error_from_anthropic("{}", 500).kind, ErrorKind::kUpstreamError);
}

}  // namespace
}  // namespace accord
