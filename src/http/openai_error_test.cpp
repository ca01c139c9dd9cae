#include "http/openai_error.h"

#include <gtest/gtest.h>

#include "core/request_id.h"

namespace accord {
namespace {

TEST(OpenAiError, BodyAndStatus) {
  const Error e = Error::client(ErrorKind::kInvalidRequest, "Bad \"n\".", "n");
  EXPECT_EQ(http_status(e.kind), 400);
  EXPECT_EQ(
      openai_error_body(e),
      R"({"error":{"message":"Bad \"n\".","type":"invalid_request_error","param":"n","code":null}})");
  EXPECT_EQ(http_status(ErrorKind::kModelNotAvailable), 403);
  EXPECT_EQ(http_status(ErrorKind::kModelNotFound), 404);
  EXPECT_EQ(http_status(ErrorKind::kRateLimited), 429);
  EXPECT_EQ(http_status(ErrorKind::kUpstreamTimeout), 504);
  Error preempted = Error::internal(ErrorKind::kPreempted, "x");
  EXPECT_NE(openai_error_body(preempted).find("\"code\":\"preempted\""), std::string::npos);
}

TEST(RequestId, KeepsSensibleClientIdsOnly) {
  EXPECT_EQ(request_id_from("abc-123_x.y:z"), "abc-123_x.y:z");
  EXPECT_EQ(request_id_from("has space").view().substr(0, 4), "req_");
  EXPECT_EQ(request_id_from(std::string(200, 'a')).view().substr(0, 4), "req_");
  EXPECT_NE(new_request_id().view(), new_request_id().view());
  EXPECT_EQ(new_request_id().view().size(), 28u);
}

}  // namespace
}  // namespace accord
