#include "upstream/provider_http.h"

#include <gtest/gtest.h>

#include <map>

#include "upstream/endpoint_set.h"

namespace accord {
namespace {

Pool pool_of(UpstreamProvider provider, std::string base_path) {
  Pool p;
  p.name = "up";
  p.engine = PoolEngine::kUpstream;
  p.provider = provider;
  UpstreamEndpoint e;
  e.host = "127.0.0.1";
  e.port = 9001;
  e.base_path = std::move(base_path);
  p.upstreams.push_back(e);
  return p;
}

std::string target(const Pool& p, std::string_view api_path, std::string_view deployment) {
  std::string out;
  append_call_target(out, p, p.upstreams[0], api_path, deployment);
  return out;
}

TEST(ProviderHttp, OpenAiPathsFollowTheUrlAndAuthorizeWithABearerToken) {
  const Pool p = pool_of(UpstreamProvider::kOpenAi, "/v1");
  EXPECT_EQ(target(p, "/chat/completions", "gpt-x"), "/v1/chat/completions");
  EXPECT_EQ(target(p, "/embeddings", "gpt-x"), "/v1/embeddings");
  EXPECT_EQ(health_check_target(p, p.upstreams[0]), "/v1/models");
  EXPECT_EQ(provider_header_lines(p, "sk-1"), "\r\nAuthorization: Bearer sk-1");
  EXPECT_EQ(provider_header_lines(p, ""), "");
}

TEST(ProviderHttp, AzureNamesTheDeploymentAndTheApiVersion) {
  Pool p = pool_of(UpstreamProvider::kAzure, "");
  p.api_version = "2024-10-21";
  EXPECT_EQ(target(p, "/chat/completions", "gpt-4o-prod"),
            "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(target(p, "/completions", "d"),
            "/openai/deployments/d/completions?api-version=2024-10-21");
  EXPECT_EQ(target(p, "/embeddings", "d"),
            "/openai/deployments/d/embeddings?api-version=2024-10-21");
  // A deployment name cannot break out of its path segment.
  EXPECT_EQ(target(p, "/embeddings", "a/b c?"),
            "/openai/deployments/a%2Fb%20c%3F/embeddings?api-version=2024-10-21");
  EXPECT_EQ(health_check_target(p, p.upstreams[0]), "/openai/models?api-version=2024-10-21");
  EXPECT_EQ(provider_header_lines(p, "az-1"), "\r\napi-key: az-1");
}

TEST(ProviderHttp, AnthropicSendsItsKeyAndVersionToMessages) {
  Pool p = pool_of(UpstreamProvider::kAnthropic, "");
  EXPECT_EQ(target(p, "/chat/completions", "claude-x"), "/v1/messages");
  EXPECT_EQ(health_check_target(p, p.upstreams[0]), "/v1/models");
  EXPECT_EQ(provider_header_lines(p, "sk-ant-1"),
            "\r\nx-api-key: sk-ant-1\r\nanthropic-version: 2023-06-01");
  p.anthropic_version = "2024-01-01";
  EXPECT_EQ(provider_header_lines(p, ""), "\r\nanthropic-version: 2024-01-01");
}

struct Headers {
  std::map<std::string, std::string, std::less<>> values;
  std::string_view header(std::string_view name) const {
    auto it = values.find(name);
    return it == values.end() ? std::string_view() : std::string_view(it->second);
  }
};

TEST(ProviderHttp, EachProvidersRateLimitHeadersSayTheQuotaIsSpent) {
  EXPECT_TRUE(quota_spent(UpstreamProvider::kOpenAi, 429, Headers{}));
  EXPECT_FALSE(quota_spent(UpstreamProvider::kOpenAi, 200, Headers{}));
  EXPECT_TRUE(quota_spent(UpstreamProvider::kAzure, 200,
                          Headers{{{"x-ratelimit-remaining-requests", "0"}}}));
  EXPECT_TRUE(quota_spent(UpstreamProvider::kOpenAi, 200,
                          Headers{{{"x-ratelimit-remaining-tokens", "0"}}}));
  EXPECT_FALSE(quota_spent(UpstreamProvider::kOpenAi, 200,
                           Headers{{{"x-ratelimit-remaining-requests", "10"}}}));
  EXPECT_TRUE(quota_spent(UpstreamProvider::kAnthropic, 200,
                          Headers{{{"anthropic-ratelimit-requests-remaining", "0"}}}));
  EXPECT_TRUE(quota_spent(UpstreamProvider::kAnthropic, 200,
                          Headers{{{"anthropic-ratelimit-tokens-remaining", "0"}}}));
  EXPECT_FALSE(quota_spent(UpstreamProvider::kAnthropic, 200,
                           Headers{{{"anthropic-ratelimit-requests-remaining", "49"}}}));
  EXPECT_TRUE(quota_spent(UpstreamProvider::kAnthropic, 429, Headers{}));
}

TEST(ProviderHttp, TheEndpointSetHoldsEachEndpointsHeadersAndRedactsItsKey) {
  ManualClock clock;
  Pool p = pool_of(UpstreamProvider::kAzure, "");
  p.api_version = "2024-10-21";
  UpstreamEndpoint second = p.upstreams[0];
  second.port = 9002;
  p.upstreams.push_back(std::move(second));
  const EndpointSet set(p, clock, {}, {"az-key-one", ""});
  EXPECT_EQ(set.request_headers(0), "\r\napi-key: az-key-one");
  EXPECT_EQ(set.request_headers(1), "");
  EXPECT_EQ(set.health_target(0), "/openai/models?api-version=2024-10-21");
  std::string echoed = R"({"error":{"message":"key az-key-one, again az-key-one, refused"}})";
  set.redact_key(0, echoed);
  EXPECT_EQ(echoed, R"({"error":{"message":"key [redacted], again [redacted], refused"}})");
}

}  // namespace
}  // namespace accord
