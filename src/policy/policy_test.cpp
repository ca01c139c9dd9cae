#include <gtest/gtest.h>

#include "agreement/loader.h"
#include "core/rfc3339.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"

namespace accord {
namespace {

std::shared_ptr<const Agreement> demo() {
  static auto a = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml").agreement;
  return a;
}

UnixMillis at(const char* t) {
  return *parse_rfc3339(t);
}

constexpr UnixMillis kNow = 1'796'558'400'000;  // 2026-12-06T12:00:00Z

TEST(Authenticate, FindsTheKeyByItsHash) {
  const auto a = demo();
  const KeyIndex keys(*a);
  auto r = authenticate(keys, "Bearer sk-accord-demo-copilot-7Qm2xV9kLp3Rt8Wz", kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()->id, "copilot-demo");
  EXPECT_EQ(a->parties[r.value()->party].name, "copilot");
}

TEST(Authenticate, RefusesMissingMalformedAndUnknownKeys) {
  const KeyIndex keys(*demo());
  for (const char* header :
       {"", "Basic abc", "Bearer", "Bearer sk-accord-demo-copilot-7Qm2xV9kLp3Rt8WZ"}) {
    auto r = authenticate(keys, header, kNow);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
    EXPECT_EQ(r.error().message.find("7Qm2"), std::string::npos) << "the key must not be echoed";
  }
}

// An expired key is refused; a rotated key's previous secret works until its grace ends.
TEST(Authenticate, ExpiryAndARotatedKeysGrace) {
  auto a = std::make_shared<Agreement>(*demo());
  ApiKey& k = a->keys[0];
  const Sha256Digest old_secret = k.sha256;
  k.sha256 = sha256("sk-new-secret");
  k.previous_sha256 = old_secret;
  k.previous_valid_until = kNow + 1000;
  const std::string old_header = "Bearer sk-accord-demo-copilot-7Qm2xV9kLp3Rt8Wz";
  {
    const KeyIndex keys(*a);
    EXPECT_TRUE(authenticate(keys, old_header, kNow).ok());
    EXPECT_TRUE(authenticate(keys, "Bearer sk-new-secret", kNow).ok());
    auto late = authenticate(keys, old_header, kNow + 1000);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, ErrorKind::kUnauthorized);
    EXPECT_NE(late.error().message.find("rotated"), std::string::npos);
    EXPECT_TRUE(authenticate(keys, "Bearer sk-new-secret", kNow + 1000).ok());
  }
  k.expires_at = kNow + 500;
  const KeyIndex keys(*a);
  EXPECT_TRUE(authenticate(keys, "Bearer sk-new-secret", kNow + 499).ok());
  auto expired = authenticate(keys, "Bearer sk-new-secret", kNow + 500);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  EXPECT_FALSE(authenticate(keys, old_header, kNow + 700).ok());  // the grace ends with the key
  // A connection's memo does not outlive the key either.
  auto index = std::make_shared<const KeyIndex>(*a);
  KeyMemo memo;
  ASSERT_TRUE(authenticate(*index, "Bearer sk-new-secret", kNow, index, memo).ok());
  EXPECT_NE(memo.recall(index, "sk-new-secret", kNow), nullptr);
  EXPECT_EQ(memo.recall(index, "sk-new-secret", kNow + 500), nullptr);
}

TEST(Authenticate, AConnectionsMemoAnswersOnlyForTheSameKeyUnderTheSameIndex) {
  const auto a = demo();
  const std::string copilot = "Bearer sk-accord-demo-copilot-7Qm2xV9kLp3Rt8Wz";
  auto snapshot = std::make_shared<const KeyIndex>(*a);  // stands for the snapshot holding it
  KeyMemo memo;
  EXPECT_EQ(memo.recall(snapshot, presented_key(copilot), kNow), nullptr);
  auto first = authenticate(*snapshot, copilot, kNow, snapshot, memo);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(memo.recall(snapshot, presented_key(copilot), kNow), first.value());
  EXPECT_EQ(memo.recall(snapshot, "sk-accord-demo-copilot-7Qm2xV9kLp3Rt8WZ", kNow), nullptr);
  EXPECT_EQ(memo.recall(snapshot, "", kNow), nullptr);

  // A key one character off, after the right one on the same connection: refused.
  auto wrong = authenticate(*snapshot, "Bearer sk-accord-demo-copilot-7Qm2xV9kLp3Rt8WZ", kNow,
                            snapshot, memo);
  EXPECT_FALSE(wrong.ok());
  // The memo kept the last key that was found.
  EXPECT_EQ(memo.recall(snapshot, presented_key(copilot), kNow), first.value());

  // Under another index (a reloaded agreement), the memo does not answer, even where the old one
  // is gone and the new one may sit at its address.
  std::weak_ptr<const KeyIndex> old = snapshot;
  snapshot.reset();
  ASSERT_TRUE(old.expired());
  auto reloaded = std::make_shared<const KeyIndex>(*a);
  EXPECT_EQ(memo.recall(reloaded, presented_key(copilot), kNow), nullptr);
  auto again = authenticate(*reloaded, copilot, kNow, reloaded, memo);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(memo.recall(reloaded, presented_key(copilot), kNow), again.value());
}

TEST(Authenticate, PresentedKeyIsTheBearerValue) {
  EXPECT_EQ(presented_key("Bearer  sk-1 "), "sk-1");
  EXPECT_EQ(presented_key("bearer sk-1"), "sk-1");
  EXPECT_EQ(presented_key("Basic sk-1"), "");
  EXPECT_EQ(presented_key("Bearer"), "");
}

TEST(Entitle, EarlyAccessByTierWithTheDate) {
  const auto a = demo();
  const PartyId copilot = *a->find_party("copilot");
  const PartyId acme = *a->find_party("acme");
  const ModelId frontier = *a->find_model("frontier-2");
  const UnixMillis now = at("2026-11-27T12:00:00Z");
  EXPECT_TRUE(entitle(*a, copilot, frontier, now).ok());
  const Status s = entitle(*a, acme, frontier, now);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kModelNotAvailable);
  EXPECT_EQ(
      s.error().message,
      "The model 'frontier-2' is available to the 'standard' tier from 2027-01-15T00:00:00Z.");
  EXPECT_TRUE(entitle(*a, acme, frontier, at("2027-01-15T00:00:00Z")).ok());
}

TEST(Entitle, ExclusiveModelsAreHiddenFromOthersUntilTheyLapse) {
  const auto a = demo();
  const ModelId variant = *a->find_model("frontier-2-copilot");
  const UnixMillis now = at("2026-11-27T12:00:00Z");
  EXPECT_TRUE(entitle(*a, *a->find_party("copilot"), variant, now).ok());
  const Status s = entitle(*a, *a->find_party("research"), variant, now);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kModelNotFound);
  // After the exclusivity ends, the tier rules alone decide: research is not in `available`.
  EXPECT_EQ(entitlement(*a, *a->find_party("research"), variant, at("2027-07-01T00:00:00Z")),
            Entitlement::kNotForTier);
}

TEST(Entitle, PartiesWithoutATierCallNothing) {
  const auto a = demo();
  EXPECT_EQ(entitlement(*a, *a->find_party("cloud"), *a->find_model("swift-1"),
                        at("2026-11-27T12:00:00Z")),
            Entitlement::kNotForTier);
}

}  // namespace
}  // namespace accord
