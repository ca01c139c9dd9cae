#include "upstream/provider_http.h"

namespace accord {
// RFC 3986's unreserved characters pass; every other byte is %XX.
void append_path_segment(std::string& out, std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
}

void append_call_target(std::string& out, const Pool& pool, const UpstreamEndpoint& e,
                        std::string_view api_path, std::string_view deployment) {
  out.append(e.base_path);
  switch (pool.provider) {
    case UpstreamProvider::kOpenAi:
      out.append(api_path);
      return;
    case UpstreamProvider::kAzure:
      out.append("/openai/deployments/");
      append_path_segment(out, deployment);
      out.append(api_path);
      out.append("?api-version=");
      out.append(pool.api_version);  // a token (the loader checks it)
      return;
    case UpstreamProvider::kAnthropic:
      out.append("/v1/messages");
      return;
  }
}

std::string health_check_target(const Pool& pool, const UpstreamEndpoint& e) {
  switch (pool.provider) {
    case UpstreamProvider::kOpenAi:
      break;
    case UpstreamProvider::kAzure:
      return e.base_path + "/openai/models?api-version=" + pool.api_version;
    case UpstreamProvider::kAnthropic:
      return e.base_path + "/v1/models";
  }
  return e.base_path + "/models";
}

std::string provider_header_lines(const Pool& pool, std::string_view api_key) {
  std::string lines;
  if (!api_key.empty()) {
    switch (pool.provider) {
      case UpstreamProvider::kOpenAi:
        lines.append("\r\nAuthorization: Bearer ");
        break;
      case UpstreamProvider::kAzure:
        lines.append("\r\napi-key: ");
        break;
      case UpstreamProvider::kAnthropic:
        lines.append("\r\nx-api-key: ");
        break;
    }
    lines.append(api_key);
  }
  if (pool.provider == UpstreamProvider::kAnthropic) {
    lines.append("\r\nanthropic-version: ");
    lines.append(pool.anthropic_version);
  }
  return lines;
}

}  // namespace accord
