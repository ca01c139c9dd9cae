#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ledger/key_store.h"

namespace accord {
namespace {

class SqliteKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("accord-keys-" + std::to_string(getpid()) + ".db"))
                .string();
    auto opened = open_sqlite_key_store(path_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened.value());
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  static AuditEntry audit(std::string action, std::string key_id, std::string party) {
    AuditEntry e;
    e.at = 1000;
    e.actor_key = "ops-key";
    e.actor_party = "ops";
    e.action = std::move(action);
    e.key_id = std::move(key_id);
    e.party = std::move(party);
    e.address = "127.0.0.1";
    return e;
  }

  std::string path_;
  std::unique_ptr<KeyStore> store_;
};

TEST_F(SqliteKeyStoreTest, KeysRoundTripAndRevokedOnesAreGone) {
  ManagedKey k;
  k.id = "key_1";
  k.party = "acme";
  k.name = "ci";
  k.role = KeyRole::kAdmin;
  k.sha256 = sha256("secret-1");
  k.previous_sha256 = sha256("secret-0");
  k.previous_valid_until = 5000;
  k.created_at = 1000;
  k.expires_at = 9000;
  k.models = {"m-a", "m-b"};
  k.limits.rpm = 10;
  k.limits.budget_micro_usd_per_month = 2'500'000;
  k.created_by = "ops-key";
  ASSERT_TRUE(store_->put(k, audit("create", "key_1", "acme")).ok());
  ManagedKey other = k;
  other.id = "key_2";
  other.party = "beta";
  other.previous_sha256.reset();
  other.models.clear();
  other.limits = {};
  ASSERT_TRUE(store_->put(other, audit("create", "key_2", "beta")).ok());

  auto active = store_->active();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  const ManagedKey& r = (*active)[0];
  EXPECT_EQ(r.id, "key_1");
  EXPECT_EQ(r.role, KeyRole::kAdmin);
  EXPECT_EQ(r.sha256, k.sha256);
  EXPECT_EQ(r.previous_sha256, k.previous_sha256);
  EXPECT_EQ(r.previous_valid_until, 5000);
  EXPECT_EQ(r.expires_at, 9000);
  EXPECT_EQ(r.models, k.models);
  EXPECT_EQ(r.limits.rpm, 10);
  EXPECT_FALSE(r.limits.tpm);
  EXPECT_EQ(r.limits.budget_micro_usd_per_month, 2'500'000);
  EXPECT_FALSE((*active)[1].previous_sha256);
  EXPECT_TRUE((*active)[1].models.empty());

  EXPECT_TRUE(store_->revoke("key_1", audit("revoke", "key_1", "acme")).value());
  EXPECT_FALSE(store_->revoke("key_1", audit("revoke", "key_1", "acme")).value());
  EXPECT_EQ(store_->active()->size(), 1u);

  // The audit trail, newest first; a party sees the rows about it.
  auto all = store_->audit("", 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u) << "a revocation that found nothing is not audited";
  EXPECT_EQ((*all)[0].action, "revoke");
  EXPECT_EQ((*all)[0].address, "127.0.0.1");
  auto acme = store_->audit("acme", 10);
  ASSERT_EQ(acme->size(), 2u);
  for (const AuditEntry& e : *acme) EXPECT_EQ(e.party, "acme");
  EXPECT_EQ(store_->audit("", 1)->size(), 1u);
}

}  // namespace
}  // namespace accord
