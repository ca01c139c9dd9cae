// The agreement's upstream pools: URLs, TLS, providers and credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agreement/credentials.h"
#include "agreement/loader.h"
#include "agreement/loader_test_util.h"

namespace accord {
namespace {

using ::testing::ElementsAre;
using namespace loader_test;

TEST(Loader, UpstreamPoolNeedsHttpUrl) {
  std::string y = kMinimal;
  y.replace(y.find("{ engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }"), 58,
            "{ upstreams: [ { url: \"ftp://x\" } ] }");
  EXPECT_THAT(errors_of(y),
              ElementsAre("a.yaml:9:29: pools.p1.upstreams[0].url: expected an http:// or "
                          "https:// URL"));
}

// A self-signed CA certificate (EC P-256), only ever parsed here.
constexpr const char* kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBlDCCATugAwIBAgIUMSohtSFh3NLAP/99tjg8KR7SEXcwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVYWNjb3JkIGxvYWRlciB0ZXN0IENBMB4XDTI2MTIwNjA4NTgz
OVoXDTM2MTIwMzA4NTgzOVowIDEeMBwGA1UEAwwVYWNjb3JkIGxvYWRlciB0ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERFCtJ7bKAY3+Y6nkpU/vv3tg
zGJFqvFyp/BBEFMc8ofrYdyciZYhOAWM4cjXCGJ96s8Fc/9N/Ppgs+pUjGNetKNT
MFEwHQYDVR0OBBYEFHEy5SW7pvzJlXypJ5V0mp+bN7nvMB8GA1UdIwQYMBaAFHEy
5SW7pvzJlXypJ5V0mp+bN7nvMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
RwAwRAIgX9E/MqLqiHZOdoKxVaWCgE1XI8yYvG2BahhZikQjD0cCIC/1xpxnyltE
/R9QLQI2IJD2LacQUyBXzD+vQWQ+gvyj
-----END CERTIFICATE-----
)";

TEST(Loader, HttpsUpstreamDefaultsToPort443) {
  const LoadResult r = load_agreement(
      with_pool("{ upstreams: [ { url: \"https://vllm.internal/v1\" }, "
                "{ url: \"https://10.0.0.7:8443/v1\" }, { url: \"http://10.0.0.8/v1\" } ] }"),
      "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const Pool& p = r.agreement->pools[0];
  ASSERT_EQ(p.upstreams.size(), 3u);
  EXPECT_TRUE(p.upstreams[0].tls);
  EXPECT_EQ(p.upstreams[0].host, "vllm.internal");
  EXPECT_EQ(p.upstreams[0].port, 443);
  EXPECT_EQ(p.upstreams[0].base_path, "/v1");
  EXPECT_TRUE(p.upstreams[1].tls);
  EXPECT_EQ(p.upstreams[1].port, 8443);
  EXPECT_FALSE(p.upstreams[2].tls);
  EXPECT_EQ(p.upstreams[2].port, 80);
  EXPECT_EQ(p.ca_file, "");  // the system's CAs
}

TEST(Loader, CaFileIsReadWhenLoaded) {
  const TempFile ca(kCaPem);
  const LoadResult r = load_agreement(
      with_pool("{ upstreams: [ { url: \"https://h/v1\" } ], ca_file: \"" + ca.path() + "\" }"),
      "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].ca_file, ca.path());
}

TEST(Loader, CaFileThatCannotBeReadIsReportedAtItsKey) {
  EXPECT_THAT(
      errors_of(with_pool(
          "{ upstreams: [ { url: \"https://h/v1\" } ], ca_file: /nonexistent/accord-ca.pem }")),
      ElementsAre("a.yaml:9:58: pools.p1.ca_file: cannot read /nonexistent/accord-ca.pem: No "
                  "such file or directory"));
  const TempFile junk("not a certificate\n");
  EXPECT_THAT(
      errors_of(with_pool("{ upstreams: [ { url: \"https://h/v1\" } ], ca_file: \"" + junk.path() +
                          "\" }")),
      ElementsAre("a.yaml:9:58: pools.p1.ca_file: " + junk.path() + " holds no PEM certificate"));
}

TEST(Loader, CaFileNeedsAnHttpsUpstream) {
  const TempFile ca(kCaPem);
  EXPECT_THAT(errors_of(with_pool("{ upstreams: [ { url: \"http://h/v1\" } ], ca_file: \"" +
                                  ca.path() + "\" }")),
              ElementsAre("a.yaml:9:57: pools.p1.ca_file: the pool has no https:// upstream"));
}

TEST(Loader, UpstreamUrlIsSplit) {
  std::string y = kMinimal;
  y.replace(y.find("{ engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }"), 58,
            "{ upstreams: [ { url: \"http://10.0.0.7:8001/v1/\", max_inflight: 8 } ] }");
  const LoadResult r = load_agreement(y, "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const UpstreamEndpoint& e = r.agreement->pools[0].upstreams[0];
  EXPECT_EQ(e.host, "10.0.0.7");
  EXPECT_EQ(e.port, 8001);
  EXPECT_EQ(e.base_path, "/v1");
  EXPECT_EQ(e.max_inflight, 8);
  EXPECT_EQ(r.agreement->pools[0].engine, PoolEngine::kUpstream);
}

// provider: openai (the default), azure (api_version required) or anthropic (anthropic_version
// defaulting to 2023-06-01).
TEST(Loader, UpstreamProviders) {
  LoadResult r = load_agreement(with_pool("{ upstreams: [ { url: \"http://h/v1\" } ] }"), "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].provider, UpstreamProvider::kOpenAi);
  r = load_agreement(with_pool("{ provider: azure, api_version: 2024-10-21, upstreams: [ { url: "
                               "\"https://res.openai.azure.com\" } ] }"),
                     "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].provider, UpstreamProvider::kAzure);
  EXPECT_EQ(r.agreement->pools[0].api_version, "2024-10-21");
  EXPECT_EQ(r.agreement->pools[0].upstreams[0].base_path, "");
  r = load_agreement(
      with_pool("{ provider: anthropic, upstreams: [ { url: \"https://api.anthropic.com\" } ] }"),
      "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].provider, UpstreamProvider::kAnthropic);
  EXPECT_EQ(r.agreement->pools[0].anthropic_version, "2023-06-01");
  r = load_agreement(with_pool("{ provider: anthropic, anthropic_version: 2024-01-01, upstreams: "
                               "[ { url: \"https://api.anthropic.com\" } ] }"),
                     "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_EQ(r.agreement->pools[0].anthropic_version, "2024-01-01");
}

TEST(Loader, ProviderMistakesNameTheKey) {
  EXPECT_THAT(errors_of(with_pool("{ provider: bedrock, upstreams: [ { url: \"http://h\" } ] }")),
              ElementsAre("a.yaml:9:19: pools.p1.provider: 'bedrock' is not openai, azure or "
                          "anthropic"));
  EXPECT_THAT(
      errors_of(with_pool("{ provider: azure, upstreams: [ { url: \"https://r.openai.azure.com\" "
                          "} ] }")),
      ElementsAre("a.yaml:9:7: pools.p1.api_version: required key missing (provider: azure)"));
  EXPECT_THAT(errors_of(with_pool("{ api_version: 2024-10-21, upstreams: [ { url: \"http://h\" } "
                                  "] }")),
              ElementsAre("a.yaml:9:22: pools.p1.api_version: only with provider: azure"));
  EXPECT_THAT(errors_of(with_pool("{ provider: azure, api_version: \"2024 10\", anthropic_version: "
                                  "x, upstreams: [ { url: \"http://h\" } ] }")),
              ElementsAre("a.yaml:9:39: pools.p1.api_version: '2024 10' is not a version "
                          "(letters, digits, '-', '.', '_')",
                          "a.yaml:9:69: pools.p1.anthropic_version: only with provider: "
                          "anthropic"));
  std::string embedding =
      with_pool("{ provider: anthropic, upstreams: [ { url: \"https://api.anthropic.com\" } ] }");
  embedding.replace(embedding.find("pool: p1 }"), 10, "pool: p1, kind: embedding }");
  EXPECT_THAT(errors_of(embedding),
              ElementsAre("a.yaml:7:37: models.m1.kind: pool 'p1' has provider anthropic, which "
                          "serves chat only"));
  EXPECT_THAT(errors_of(with_pool("{ provider: anthropic, engine: builtin, gpu: h100 }")),
              ElementsAre("a.yaml:9:19: pools.p1.provider: only an upstream pool has it"));
  // The URL is the API's root: accord adds the API's own path.
  EXPECT_THAT(
      errors_of(with_pool(
          "{ provider: anthropic, upstreams: [ { url: \"https://api.anthropic.com/v1\" } ] }")),
      ElementsAre("a.yaml:9:50: pools.p1.upstreams[0].url: an anthropic upstream's URL is the "
                  "API's root (https://api.anthropic.com): accord adds /v1/messages"));
  EXPECT_THAT(errors_of(with_pool("{ provider: azure, api_version: v1, upstreams: [ { url: "
                                  "\"https://r.openai.azure.com/openai\" } ] }")),
              ElementsAre(::testing::HasSubstr("a.yaml:9:63: pools.p1.upstreams[0].url: an azure "
                                               "upstream's URL is the resource's root")));
}

// api_key_env / api_key_file on the pool or on one endpoint, whose own overrides the pool's.
TEST(Loader, CredentialsComeFromThePoolOrTheEndpoint) {
  const TempFile pool_key("sk-pool-file\n");
  const TempFile own_key("sk-own-file");
  setenv("ACCORD_TEST_KEY", "sk-from-env", 1);
  const LoadResult r = load_agreement(
      with_pool("{ api_key_file: \"" + pool_key.path() +
                "\", upstreams: [ { url: \"http://a\" }, { url: \"http://b\", api_key_file: \"" +
                own_key.path() + "\" }, { url: \"http://c\", api_key_env: ACCORD_TEST_KEY } ] }"),
      "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  const Pool& p = r.agreement->pools[0];
  EXPECT_EQ(p.upstreams[0].credential.file, pool_key.path());
  EXPECT_EQ(p.upstreams[0].credential.key, "pools.p1.api_key_file");
  EXPECT_EQ(p.upstreams[1].credential.file, own_key.path());
  EXPECT_EQ(p.upstreams[1].credential.key, "pools.p1.upstreams[1].api_key_file");
  EXPECT_EQ(p.upstreams[2].credential.env, "ACCORD_TEST_KEY");
  EXPECT_TRUE(p.upstreams[2].credential.file.empty());
  EXPECT_EQ(read_credential(p.upstreams[0].credential).value(), "sk-pool-file");  // trimmed
  EXPECT_EQ(read_credential(p.upstreams[1].credential).value(), "sk-own-file");
  EXPECT_EQ(read_credential(p.upstreams[2].credential).value(), "sk-from-env");
  unsetenv("ACCORD_TEST_KEY");
}

// A key that cannot be read is reported at the key that names it, by the variable's or the file's
// name; never with the content.
TEST(Loader, CredentialsThatCannotBeReadAreReportedAtTheirKey) {
  unsetenv("ACCORD_TEST_UNSET");
  EXPECT_THAT(errors_of(with_pool("{ api_key_env: ACCORD_TEST_UNSET, upstreams: [ { url: "
                                  "\"http://a\" }, { url: \"http://b\" } ] }")),
              ElementsAre("a.yaml:9:22: pools.p1.api_key_env: environment variable "
                          "ACCORD_TEST_UNSET is not set"));  // once for the pool
  EXPECT_THAT(errors_of(with_pool("{ upstreams: [ { url: \"http://a\", api_key_file: "
                                  "/nonexistent/accord-key } ] }")),
              ElementsAre("a.yaml:9:55: pools.p1.upstreams[0].api_key_file: cannot read "
                          "/nonexistent/accord-key: No such file or directory"));
  EXPECT_THAT(
      errors_of(with_pool("{ upstreams: [ { url: \"http://a\", api_key_file: /dev/null } ] }")),
      ElementsAre("a.yaml:9:55: pools.p1.upstreams[0].api_key_file: /dev/null is not a "
                  "regular file"));
  const TempFile blank(" \n");
  EXPECT_THAT(errors_of(with_pool("{ upstreams: [ { url: \"http://a\", api_key_file: \"" +
                                  blank.path() + "\" } ] }")),
              ElementsAre("a.yaml:9:55: pools.p1.upstreams[0].api_key_file: " + blank.path() +
                          " is empty"));
  const TempFile two_lines("sk-secret-first-line\nX-Injected: yes\n");
  const auto errors = errors_of(with_pool("{ upstreams: [ { url: \"http://a\", api_key_file: \"" +
                                          two_lines.path() + "\" } ] }"));
  EXPECT_THAT(errors,
              ElementsAre("a.yaml:9:55: pools.p1.upstreams[0].api_key_file: " + two_lines.path() +
                          " holds a control character, which a header cannot carry"));
  EXPECT_THAT(errors_of(with_pool("{ upstreams: [ { url: \"http://a\", api_key_env: X, "
                                  "api_key_file: /k } ] }")),
              ElementsAre("a.yaml:9:71: pools.p1.upstreams[0].api_key_file: give api_key_env or "
                          "api_key_file, not both"));
  // Reports and simulations do not read keys.
  EXPECT_TRUE(load_agreement(with_pool("{ api_key_env: ACCORD_TEST_UNSET, upstreams: [ { url: "
                                       "\"http://a\" } ] }"),
                             "a.yaml", {.read_credentials = false})
                  .ok());
}

// native_apis: [responses] relays /v1/responses to an OpenAI-compatible pool as received.
TEST(Loader, NativeApis) {
  const LoadResult r = load_agreement(
      with_pool("{ native_apis: [responses], upstreams: [ { url: \"http://a/v1\" } ] }"), "a.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.messages());
  EXPECT_TRUE(r.agreement->pools[0].native_responses);
  EXPECT_FALSE(load_agreement(with_pool("{ upstreams: [ { url: \"http://a/v1\" } ] }"), "a.yaml")
                   .agreement->pools[0]
                   .native_responses);
  EXPECT_THAT(errors_of(with_pool("{ native_apis: [chat], upstreams: [ { url: \"http://a\" } ] }")),
              ElementsAre("a.yaml:9:23: pools.p1.native_apis: 'chat' is not an API accord relays "
                          "(responses)"));
  EXPECT_THAT(
      errors_of(with_pool("{ provider: anthropic, native_apis: [responses], upstreams: [ { url: "
                          "\"https://api.anthropic.com\" } ] }")),
      ElementsAre("a.yaml:9:44: pools.p1.native_apis: responses only with provider: openai"));
  EXPECT_THAT(errors_of(with_pool("{ engine: builtin, native_apis: [responses] }")),
              ElementsAre("a.yaml:9:39: pools.p1.native_apis: only an upstream pool has it"));
}

}  // namespace
}  // namespace accord
