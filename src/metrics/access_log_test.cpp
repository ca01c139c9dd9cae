#include "metrics/access_log.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "agreement/loader.h"

namespace accord {
namespace {

std::shared_ptr<const Snapshot> demo_snapshot() {
  auto s = std::make_shared<Snapshot>();
  s->agreement = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml").agreement;
  return s;
}

TEST(AccessLog, AServedRequestHasEveryField) {
  RequestContext ctx;
  ctx.snapshot = demo_snapshot();
  const Agreement& a = *ctx.snapshot->agreement;
  ctx.request_id = RequestId("req-\"quoted\"");
  ctx.key = &a.keys[0];
  ctx.party = a.keys[0].party;
  ctx.model = *a.find_model("frontier-2");
  ctx.pool = a.models[ctx.model].pool;
  ctx.sched_class = SchedClass::kReserved;
  ctx.status = 200;
  ctx.prompt_tokens = 12;
  ctx.completion_tokens = 7;
  ctx.wall_arrived_at = 1'795'000'000'000;
  ctx.arrived_at = 1'000'000'000;
  ctx.dispatched_at = 1'001'500'000;   // 1.5 ms
  ctx.first_token_at = 1'020'000'000;  // 20 ms
  ctx.finished_at = 1'100'000'000;     // 100 ms
  std::string line;
  AccessLog::format(ctx, line);
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(line);
  EXPECT_EQ(std::string_view(e["request_id"]), "req-\"quoted\"");
  EXPECT_EQ(std::string_view(e["party"]), a.parties[ctx.party].name);
  EXPECT_EQ(std::string_view(e["key_id"]), a.keys[0].id);
  EXPECT_EQ(std::string_view(e["model"]), "frontier-2");
  EXPECT_EQ(std::string_view(e["class"]), "reserved");
  EXPECT_EQ(std::string_view(e["pool"]), "h100-east");  // the pool that served it
  EXPECT_EQ(int64_t(e["status"]), 200);
  EXPECT_TRUE(e["error"].is_null());
  EXPECT_EQ(int64_t(e["prompt_tokens"]), 12);
  EXPECT_EQ(int64_t(e["completion_tokens"]), 7);
  EXPECT_DOUBLE_EQ(double(e["queue_ms"]), 1.5);
  EXPECT_DOUBLE_EQ(double(e["ttft_ms"]), 20);
  EXPECT_DOUBLE_EQ(double(e["total_ms"]), 100);
  EXPECT_EQ(std::string_view(e["upstream"]), "builtin");
  EXPECT_EQ(std::string_view(e["ts"]).substr(0, 4), "2026");
}

TEST(AccessLog, AnUnauthenticatedRequestHasNullsAndAClientWhoLeftIs499) {
  RequestContext ctx;
  ctx.snapshot = demo_snapshot();
  ctx.status = 401;
  ctx.error = Error::client(ErrorKind::kUnauthorized, "no");
  std::string line;
  AccessLog::format(ctx, line);
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(line);
  EXPECT_TRUE(e["party"].is_null());
  EXPECT_TRUE(e["key_id"].is_null());
  EXPECT_TRUE(e["model"].is_null());
  EXPECT_TRUE(e["ttft_ms"].is_null());
  EXPECT_EQ(std::string_view(e["error"]), "invalid_api_key");

  RequestContext gone;
  gone.snapshot = ctx.snapshot;
  gone.status = 200;
  gone.client_gone = true;
  line.clear();
  AccessLog::format(gone, line);
  EXPECT_EQ(int64_t(parser.parse(line)["status"]), 499);
}

}  // namespace
}  // namespace accord
