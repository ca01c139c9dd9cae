// How accord addresses each provider's HTTP API (UpstreamProvider in agreement.h): the request
// target of a call, the header lines that authenticate it and pin the API's version, what an
// active health check asks for, and the headers by which an answer says the quota is spent.
// Pure functions of the agreement; the EndpointSet builds each endpoint's header lines once.
#pragma once

#include <string>
#include <string_view>

#include "agreement/agreement.h"

namespace accord {

// Appends the request target of a call on endpoint `e` of `pool` to `out`:
//   openai     {base}{api_path}                                    /v1/chat/completions
//   azure      {base}/openai/deployments/{deployment}{api_path}?api-version={api_version}
//   anthropic  {base}/v1/messages                                  (chat only; api_path unused)
// where {base} is the URL's path ("/v1" for "https://api.openai.com/v1", "" for a root URL).
// `deployment` (azure: the model's name on the pool) is percent-encoded where a path needs it.
void append_call_target(std::string& out, const Pool& pool, const UpstreamEndpoint& e,
                        std::string_view api_path, std::string_view deployment);

// `segment` percent-encoded for a URL path: RFC 3986's unreserved characters pass, every other
// byte is %XX.
void append_path_segment(std::string& out, std::string_view segment);

// What a health check GETs: {base}/models, {base}/openai/models?api-version=..., or
// {base}/v1/models.
std::string health_check_target(const Pool& pool, const UpstreamEndpoint& e);

// The header lines every request to an endpoint whose key is `api_key` carries, each written as
// "\r\nName: value" (to follow the previous header's value): openai "Authorization: Bearer KEY",
// azure "api-key: KEY", anthropic "x-api-key: KEY" and "anthropic-version: V". No key, no
// credential header (anthropic still sends its version).
// REQUIRES: `api_key` holds no control character (read_credential() refuses those).
std::string provider_header_lines(const Pool& pool, std::string_view api_key);

// Whether an answer says the upstream's quota is spent: a 429, or a remaining count of "0" in
// x-ratelimit-remaining-requests or -tokens (OpenAI, Azure) or in
// anthropic-ratelimit-requests-remaining or -tokens-remaining (Anthropic). `Response` has
// header(name) returning the value as a string_view ("" when absent), as ClientResponse does.
template <class Response>
bool quota_spent(UpstreamProvider provider, int status, const Response& response) {
  if (status == 429) return true;
  if (provider == UpstreamProvider::kAnthropic) {
    return response.header("anthropic-ratelimit-requests-remaining") == "0" ||
           response.header("anthropic-ratelimit-tokens-remaining") == "0";
  }
  return response.header("x-ratelimit-remaining-requests") == "0" ||
         response.header("x-ratelimit-remaining-tokens") == "0";
}

}  // namespace accord
