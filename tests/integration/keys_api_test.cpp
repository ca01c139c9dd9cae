// The keys API: keys made, listed, rotated and revoked over HTTP by an operator key or a party's
// admin key, stored hashed in the ledger's database, in force from the next request, and audited.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "agreements.h"
#include "harness.h"

namespace accord::testing {
namespace {

namespace dom = simdjson::dom;

const std::string kChat =
    R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":4})";

// The test agreement with a second customer (beta) and a tier limit of 600 requests a minute.
std::string keys_agreement(const TempDir& dir) {
  TestAgreement t;
  t.extra_models = "  m-two: { owner: lab, pool: local }\n";
  std::string y = agreement_yaml(t, dir);
  const std::string acme = "  acme: { role: customer, tier: standard }\n";
  y.replace(y.find(acme), acme.size(), acme + "  beta: { role: customer, tier: standard }\n");
  const std::string tier = "standard: { weight: 1 }";
  y.replace(y.find(tier), tier.size(), "standard: { weight: 1, rpm: 600 }");
  return y;
}

struct Made {
  int status = 0;
  std::string id, key, body;
};

Made make_key(int port, const std::string& admin, const std::string& body) {
  const HttpResponse r = http(port, "POST", "/admin/keys", body, bearer(admin));
  Made m{r.status, {}, {}, r.body};
  dom::parser parser;
  std::string_view id, key;
  if (r.status == 201 && !parser.parse(r.body)["id"].get_string().get(id) &&
      !parser.parse(r.body)["key"].get_string().get(key)) {
    m.id = id;
    m.key = key;
  }
  return m;
}

int chat_status(int port, const std::string& key) {
  return http(port, "POST", "/v1/chat/completions", kChat, bearer(key)).status;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class KeysApi : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("a.yaml", keys_agreement(dir_));
    s_ = start_serve(config_, {"--workers", "1"});
  }
  std::string ledger() const { return dir_.path() + "/ledger.db"; }

  TempDir dir_;
  std::string config_;
  Served s_;
};

TEST_F(KeysApi, AKeyIsMadeUsedListedWithoutItsSecretAndRevoked) {
  const Made m = make_key(s_.port, kCloudKey,
                          R"({"party":"acme","name":"ci","rpm":100,"budget_usd_per_month":12.50})");
  ASSERT_EQ(m.status, 201) << m.body;
  EXPECT_EQ(m.id.rfind("key_", 0), 0u) << m.body;
  EXPECT_EQ(m.key.rfind("sk-accord-", 0), 0u) << m.body;
  EXPECT_NE(m.body.find(R"("budget_usd_per_month":12.5)"), std::string::npos) << m.body;
  EXPECT_EQ(chat_status(s_.port, m.key), 200);
  EXPECT_EQ(chat_status(s_.port, kAcmeKey), 200) << "keys in the agreement still work";

  const HttpResponse list = http(s_.port, "GET", "/admin/keys", "", bearer(kCloudKey));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(m.id), std::string::npos);
  EXPECT_NE(list.body.find(R"("id":"acme-key")"), std::string::npos) << "the file's keys too";
  EXPECT_EQ(list.body.find(m.key), std::string::npos) << "no secret in a list";
  EXPECT_EQ(list.body.find(m.key.substr(10, 12)), std::string::npos);

  const HttpResponse revoked =
      http(s_.port, "DELETE", "/admin/keys/" + m.id, "", bearer(kCloudKey));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(chat_status(s_.port, m.key), 401) << "revoked from the next request on";
  EXPECT_EQ(http(s_.port, "DELETE", "/admin/keys/" + m.id, "", bearer(kCloudKey)).status, 404);
  EXPECT_EQ(http(s_.port, "DELETE", "/admin/keys/acme-key", "", bearer(kCloudKey)).status, 400)
      << "a key of the file is changed in the file";
}

// Rotation: both secrets work during the grace; with none, only the new one.
TEST_F(KeysApi, ARotatedKeysOldSecretWorksForItsGraceOnly) {
  const Made m = make_key(s_.port, kCloudKey, R"({"party":"acme"})");
  ASSERT_EQ(m.status, 201) << m.body;
  const HttpResponse graced = http(s_.port, "POST", "/admin/keys/" + m.id + "/rotate",
                                   R"({"grace_seconds":3600})", bearer(kCloudKey));
  ASSERT_EQ(graced.status, 200) << graced.body;
  dom::parser parser;
  std::string_view second;
  ASSERT_FALSE(parser.parse(graced.body)["key"].get_string().get(second)) << graced.body;
  const std::string key2(second);
  EXPECT_NE(key2, m.key);
  EXPECT_EQ(chat_status(s_.port, m.key), 200) << "the old secret, within its grace";
  EXPECT_EQ(chat_status(s_.port, key2), 200);

  const HttpResponse now = http(s_.port, "POST", "/admin/keys/" + m.id + "/rotate",
                                R"({"grace_seconds":0})", bearer(kCloudKey));
  ASSERT_EQ(now.status, 200) << now.body;
  std::string_view third;
  ASSERT_FALSE(parser.parse(now.body)["key"].get_string().get(third));
  const std::string key3(third);
  EXPECT_EQ(chat_status(s_.port, key2), 401) << "no grace: the old secret stops at once";
  EXPECT_EQ(chat_status(s_.port, m.key), 401);
  EXPECT_EQ(chat_status(s_.port, key3), 200);
  EXPECT_EQ(http(s_.port, "POST", "/admin/keys/" + m.id + "/rotate", R"({"grace_seconds":-1})",
                 bearer(kCloudKey))
                .status,
            400);
}

// A key that expires, and a key restricted to some models.
TEST_F(KeysApi, ExpiryAndModelRestrictionsAreChecked) {
  EXPECT_EQ(make_key(s_.port, kCloudKey, R"({"party":"acme","expires_at":"2020-01-01T00:00:00Z"})")
                .status,
            400);
  const Made later =
      make_key(s_.port, kCloudKey, R"({"party":"acme","expires_at":"2099-01-01T00:00:00Z"})");
  ASSERT_EQ(later.status, 201) << later.body;
  EXPECT_NE(later.body.find(R"("expires_at":4070908800)"), std::string::npos) << later.body;
  EXPECT_EQ(chat_status(s_.port, later.key), 200);
  EXPECT_EQ(make_key(s_.port, kCloudKey, R"({"party":"acme","models":["nope"]})").status, 400);
  const Made narrow = make_key(s_.port, kCloudKey, R"({"party":"acme","models":["m-two"]})");
  ASSERT_EQ(narrow.status, 201) << narrow.body;
  EXPECT_EQ(chat_status(s_.port, narrow.key), 403) << "m-local is not among its models";
  const HttpResponse models = http(s_.port, "GET", "/v1/models", "", bearer(narrow.key));
  EXPECT_NE(models.body.find(R"("id":"m-two")"), std::string::npos) << models.body;
  EXPECT_EQ(models.body.find(R"("id":"m-local")"), std::string::npos) << models.body;
  EXPECT_EQ(make_key(s_.port, kCloudKey, R"({"party":"acme","colour":"red"})").status, 400);
  EXPECT_EQ(make_key(s_.port, kCloudKey, R"({"party":"nobody"})").status, 400);
  EXPECT_EQ(make_key(s_.port, kCloudKey, "{not json").status, 400);
}

// A party's admin key manages its own party's keys, within its party's limits; a customer key
// manages none.
TEST_F(KeysApi, APartysAdminKeyIsConfinedToItsParty) {
  const Made admin = make_key(s_.port, kCloudKey, R"({"party":"acme","role":"admin"})");
  ASSERT_EQ(admin.status, 201) << admin.body;
  const Made theirs = make_key(s_.port, kCloudKey, R"({"party":"beta","name":"b"})");
  ASSERT_EQ(theirs.status, 201);

  EXPECT_EQ(chat_status(s_.port, admin.key), 403) << "an admin key calls no model";
  const Made own = make_key(s_.port, admin.key, R"({"name":"mine","rpm":600})");
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_NE(own.body.find(R"("party":"acme")"), std::string::npos);
  EXPECT_EQ(chat_status(s_.port, own.key), 200);
  EXPECT_EQ(make_key(s_.port, admin.key, R"({"party":"beta"})").status, 403);
  EXPECT_EQ(make_key(s_.port, admin.key, R"({"role":"admin"})").status, 403);
  EXPECT_EQ(make_key(s_.port, admin.key, R"({"rpm":601})").status, 400) << "above the tier's";
  EXPECT_EQ(http(s_.port, "DELETE", "/admin/keys/" + theirs.id, "", bearer(admin.key)).status, 404);
  EXPECT_EQ(
      http(s_.port, "POST", "/admin/keys/" + theirs.id + "/rotate", "", bearer(admin.key)).status,
      404);
  const HttpResponse list = http(s_.port, "GET", "/admin/keys", "", bearer(admin.key));
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(own.id), std::string::npos);
  EXPECT_EQ(list.body.find(theirs.id), std::string::npos);
  EXPECT_EQ(list.body.find("ops-key"), std::string::npos);

  // The audit trail it may read is its party's.
  const HttpResponse audit = http(s_.port, "GET", "/admin/audit", "", bearer(admin.key));
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find(own.id), std::string::npos);
  EXPECT_EQ(audit.body.find(theirs.id), std::string::npos);

  for (const std::string& customer : {kAcmeKey, own.key}) {
    EXPECT_EQ(http(s_.port, "GET", "/admin/keys", "", bearer(customer)).status, 403);
    EXPECT_EQ(make_key(s_.port, customer, R"({"party":"acme"})").status, 403);
    EXPECT_EQ(http(s_.port, "GET", "/admin/audit", "", bearer(customer)).status, 403);
  }
}

// Every action is audited: who, what, when, from where; and never the secret.
TEST_F(KeysApi, EveryActionIsAudited) {
  const Made m = make_key(s_.port, kCloudKey, R"({"party":"acme","name":"audited"})");
  ASSERT_EQ(m.status, 201);
  ASSERT_EQ(http(s_.port, "POST", "/admin/keys/" + m.id + "/rotate", R"({"grace_seconds":60})",
                 bearer(kCloudKey))
                .status,
            200);
  ASSERT_EQ(http(s_.port, "DELETE", "/admin/keys/" + m.id, "", bearer(kCloudKey)).status, 200);
  const HttpResponse audit = http(s_.port, "GET", "/admin/audit?limit=10", "", bearer(kCloudKey));
  ASSERT_EQ(audit.status, 200) << audit.body;
  dom::parser parser;
  dom::array rows;
  ASSERT_FALSE(parser.parse(audit.body)["data"].get_array().get(rows)) << audit.body;
  std::vector<std::string> actions;
  for (dom::element row : rows) {
    std::string_view action, key_id, actor, address;
    ASSERT_FALSE(row["action"].get_string().get(action));
    ASSERT_FALSE(row["key_id"].get_string().get(key_id));
    ASSERT_FALSE(row["actor_key"].get_string().get(actor));
    ASSERT_FALSE(row["address"].get_string().get(address));
    int64_t at = 0;
    ASSERT_FALSE(row["at"].get_int64().get(at));
    EXPECT_GT(at, 1'700'000'000);
    EXPECT_EQ(key_id, m.id);
    EXPECT_EQ(actor, "ops-key");
    EXPECT_EQ(address, "127.0.0.1");
    actions.emplace_back(action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"revoke", "rotate", "create"}));
  EXPECT_EQ(audit.body.find(m.key), std::string::npos);
  EXPECT_EQ(http(s_.port, "GET", "/admin/audit?limit=0", "", bearer(kCloudKey)).status, 400);
}

// Keys outlive a restart; only their hashes are on disk, and no secret reaches the log.
TEST_F(KeysApi, KeysAreStoredHashedAndOutliveARestart) {
  const Made kept = make_key(s_.port, kCloudKey, R"({"party":"acme"})");
  const Made gone = make_key(s_.port, kCloudKey, R"({"party":"acme"})");
  ASSERT_EQ(kept.status, 201);
  ASSERT_EQ(gone.status, 201);
  ASSERT_EQ(http(s_.port, "DELETE", "/admin/keys/" + gone.id, "", bearer(kCloudKey)).status, 200);
  s_.process->signal(SIGTERM);
  ASSERT_EQ(s_.process->wait_exit(), 0);
  const std::string log = s_.process->captured();
  for (const std::string& secret : {kept.key, gone.key}) {
    EXPECT_EQ(file_bytes(ledger()).find(secret), std::string::npos);
    EXPECT_EQ(file_bytes(ledger() + "-wal").find(secret), std::string::npos);
    EXPECT_EQ(log.find(secret), std::string::npos);
  }
  Served again = start_serve(config_, {"--workers", "1"});
  EXPECT_EQ(chat_status(again.port, kept.key), 200);
  EXPECT_EQ(chat_status(again.port, gone.key), 401);
}

// `accord keys list|rotate|revoke` against the running gateway, with the admin key from the
// environment.
TEST_F(KeysApi, TheCommandLineManagesKeysOfARunningGateway) {
  const Made m = make_key(s_.port, kCloudKey, R"({"party":"acme","name":"cli"})");
  ASSERT_EQ(m.status, 201);
  setenv("ACCORD_TEST_ADMIN_KEY", kCloudKey.c_str(), 1);
  const std::string url = "http://127.0.0.1:" + std::to_string(s_.port);
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {ACCORD_BIN, "keys"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--url", url, "--admin-key-env", "ACCORD_TEST_ADMIN_KEY"});
    Process p(argv);
    const int code = p.wait_exit();
    return std::make_pair(code, p.captured());
  };
  const auto [listed, list_err] = run({"list"});
  EXPECT_EQ(listed, 0) << list_err;
  const auto [rotated, rotate_err] = run({"rotate", m.id, "--grace-seconds", "0"});
  EXPECT_EQ(rotated, 0) << rotate_err;
  EXPECT_EQ(chat_status(s_.port, m.key), 401) << "rotated without grace";
  const auto [revoked, revoke_err] = run({"revoke", m.id});
  EXPECT_EQ(revoked, 0) << revoke_err;
  const auto [again, again_err] = run({"revoke", m.id});
  EXPECT_EQ(again, 1);
  EXPECT_NE(again_err.find("No API key with id"), std::string::npos) << again_err;
  unsetenv("ACCORD_TEST_ADMIN_KEY");
  const auto [no_key, no_key_err] = run({"list"});
  EXPECT_EQ(no_key, 1);
  EXPECT_NE(no_key_err.find("ACCORD_TEST_ADMIN_KEY"), std::string::npos) << no_key_err;
}

}  // namespace
}  // namespace accord::testing
