#include "keys/key_request.h"

#include <gtest/gtest.h>

#include "core/rfc3339.h"

namespace accord {
namespace {

TEST(KeyRequest, ReadsEveryField) {
  auto r = read_create_key_request(
      R"({"party":"acme","name":"ci","role":"admin","expires_at":"2030-01-02T03:04:05Z",)"
      R"("models":["a","b"],"rpm":10,"tpm":2000,"budget_usd_per_month":12.345678})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->party, "acme");
  EXPECT_EQ(r->name, "ci");
  EXPECT_EQ(r->role, KeyRole::kAdmin);
  EXPECT_EQ(r->expires_at, *parse_rfc3339("2030-01-02T03:04:05Z"));
  EXPECT_EQ(r->models, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->limits.rpm, 10);
  EXPECT_EQ(r->limits.tpm, 2000);
  EXPECT_EQ(r->limits.budget_micro_usd_per_month, 12'345'678) << "exactly, not through a double";
}

TEST(KeyRequest, EverythingIsOptional) {
  for (const char* body : {"", "  ", "{}", R"({"party":null,"rpm":null})"}) {
    auto r = read_create_key_request(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_FALSE(r->party);
    EXPECT_EQ(r->role, KeyRole::kCustomer);
    EXPECT_EQ(r->expires_at, 0);
    EXPECT_FALSE(r->limits.rpm);
  }
  EXPECT_EQ(read_create_key_request(R"({"expires_at":1900000000})")->expires_at,
            int64_t{1'900'000'000'000});
}

TEST(KeyRequest, MistakesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"rpm":0})", "rpm"},
      {R"({"tpm":"10"})", "tpm"},
      {R"({"role":"owner"})", "role"},
      {R"({"models":"m"})", "models"},
      {R"({"models":[""]})", "models"},
      {R"({"expires_at":"tomorrow"})", "expires_at"},
      {R"({"budget_usd_per_month":-1})", "budget_usd_per_month"},
      {R"({"budget_usd_per_month":1e3})", "budget_usd_per_month"},
      {R"({"budget_usd_per_month":"5"})", "budget_usd_per_month"},
      {R"({"colour":"red"})", "colour"},
  };
  for (const auto& [body, param] : cases) {
    auto r = read_create_key_request(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest) << body;
    EXPECT_EQ(r.error().param, param) << body;
  }
  for (const char* body : {"{", "[]", R"({"rpm":1} x)", "null"}) {
    auto r = read_create_key_request(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJson) << body;
  }
}

TEST(KeyRequest, RotateReadsTheGrace) {
  EXPECT_EQ(read_rotate_key_request("").value(), 0);
  EXPECT_EQ(read_rotate_key_request(R"({"grace_seconds":90})").value(), 90'000);
  EXPECT_FALSE(read_rotate_key_request(R"({"grace_seconds":-1})").ok());
  EXPECT_FALSE(read_rotate_key_request(R"({"grace_seconds":2592001})").ok());
  EXPECT_FALSE(read_rotate_key_request(R"({"grace":1})").ok());
}

}  // namespace
}  // namespace accord
