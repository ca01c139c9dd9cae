// pools: where models run — the built-in engine on a number of GPUs, or upstreams (OpenAI or
// OpenAI-compatible servers, Azure OpenAI, Anthropic) and where their keys are read from.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "agreement/loader_impl.h"
#include "engine/gpu_catalog.h"
#include "http/tls_client.h"

namespace accord::loader {

using yaml::Fields;

std::optional<std::string> parse_http_url(const std::string& url, UpstreamEndpoint& out) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    out.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    out.tls = false;
    rest.remove_prefix(7);
  } else {
    return "expected an http:// or https:// URL";
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8000
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address";
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "expected ':' after the IPv6 address";
      port = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return "the URL has no host";
  out.port = out.tls ? 443 : 80;
  if (!port.empty()) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || end != port.data() + port.size() || v == 0 || v > 65535) {
      return fmt::format("'{}' is not a port", port);
    }
    out.port = static_cast<uint16_t>(v);
  }
  out.host = std::string(host);
  out.base_path = std::string(path);
  return std::nullopt;
}

void Loader::load_pools(const YAML::Node& node) {
  for_each_entry(node, "pools", "pool",
                 [&](const std::string& name, const YAML::Node&, const YAML::Node& value,
                     const std::string& path) {
                   Pool p;
                   p.name = name;
                   load_pool(p, value, path);
                   a_.pool_by_name.emplace(name, static_cast<PoolId>(a_.pools.size()));
                   a_.pools.push_back(std::move(p));
                 });
  resolve_pool_fallbacks();
}

std::optional<PoolId> Loader::pool_ref(const YAML::Node& node, const std::string& path) {
  const auto name = yaml::read_string(node, path, diag_);
  if (!name) return std::nullopt;
  if (auto it = a_.pool_by_name.find(*name); it != a_.pool_by_name.end()) return it->second;
  diag_.add(yaml::pos_of(node), fmt::format("{}: unknown pool '{}'", path, *name));
  return std::nullopt;
}

// fallback: [POOL, …]: other pools, each once, never the pool itself.
void Loader::resolve_pool_fallbacks() {
  for (const auto& [id, node] : pool_fallbacks_) {
    Pool& pool = a_.pools[id];
    fallback_pos_[id] = yaml::pos_of(node);
    const std::string path = fmt::format("pools.{}.fallback", pool.name);
    if (!node.IsSequence()) {
      diag_.add(yaml::pos_of(node),
                fmt::format("{}: expected a list of pools, got {}", path, yaml::describe(node)));
      continue;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      const auto next = pool_ref(node[i], item_path);
      if (!next) continue;
      if (*next == id) {
        diag_.add(yaml::pos_of(node[i]),
                  fmt::format("{}: a pool cannot fall back to itself", item_path));
      } else if (std::find(pool.fallback.begin(), pool.fallback.end(), *next) !=
                 pool.fallback.end()) {
        diag_.add(yaml::pos_of(node[i]),
                  fmt::format("{}: '{}' is listed twice", item_path, a_.pools[*next].name));
      } else {
        pool.fallback.push_back(*next);
      }
    }
  }
  pool_fallbacks_.clear();
}

void Loader::load_pool(Pool& p, const YAML::Node& node, const std::string& path) {
  const Fields f(node, path, diag_,
                 {"engine",         "gpu",          "gpus",          "tp",
                  "model_params_b", "max_batch",    "upstreams",     "timeouts",
                  "max_retries",    "tokens_per_s", "output_weight", "headroom_slots",
                  "max_queue_ms",   "slo",          "ca_file",       "fallback",
                  "provider",       "api_version",  "api_key_env",   "anthropic_version",
                  "api_key_file",   "native_apis"});
  if (!f.ok()) return;
  // Its fallbacks may name pools defined after it: resolved once all are read.
  if (const YAML::Node n = f.get("fallback"); n.IsDefined()) {
    pool_fallbacks_.emplace_back(static_cast<PoolId>(a_.pools.size()), n);
  }
  const bool has_upstreams = f.has("upstreams");
  p.engine = has_upstreams ? PoolEngine::kUpstream : PoolEngine::kBuiltin;
  if (auto e = f.string("engine")) {
    if (*e == "builtin") {
      p.engine = PoolEngine::kBuiltin;
      if (has_upstreams) {
        diag_.add(yaml::pos_of(f.get("upstreams")),
                  fmt::format("{}: not allowed with engine: builtin", f.path_of("upstreams")));
      }
    } else if (*e == "upstream") {
      p.engine = PoolEngine::kUpstream;
      if (!has_upstreams) {
        diag_.add(f.pos(), fmt::format("{}: required key missing (engine: upstream)",
                                       f.path_of("upstreams")));
      }
    } else {
      diag_.add(yaml::pos_of(f.get("engine")),
                fmt::format("{}: '{}' is not builtin or upstream", f.path_of("engine"), *e));
    }
  }
  if (auto v = f.string("gpu")) p.gpu = *v;
  if (auto v = f.integer("gpus")) {
    if (*v < 1) {
      diag_.add(yaml::pos_of(f.get("gpus")),
                fmt::format("{}: must be at least 1", f.path_of("gpus")));
    } else {
      p.gpus = static_cast<int>(*v);
    }
  }
  if (auto v = f.integer("tp")) {
    if (*v < 1) {
      diag_.add(yaml::pos_of(f.get("tp")), fmt::format("{}: must be at least 1", f.path_of("tp")));
    } else {
      p.tp = static_cast<int>(*v);
    }
  }
  if (auto v = f.positive("model_params_b")) p.model_params_b = *v;
  if (auto v = f.non_negative_integer("max_batch")) p.max_batch = static_cast<int>(*v);
  if (p.engine == PoolEngine::kUpstream) {
    load_provider(p, f);
  } else {
    for (const std::string_view key : {"provider", "api_version", "anthropic_version",
                                       "api_key_env", "api_key_file", "native_apis"}) {
      if (f.has(key)) {
        diag_.add(yaml::pos_of(f.get(key)),
                  fmt::format("{}: only an upstream pool has it", f.path_of(key)));
      }
    }
  }
  if (has_upstreams) {
    load_upstreams(p, f.get("upstreams"), f.path_of("upstreams"), read_credential_source(f));
  }
  if (auto v = f.string("ca_file")) load_ca_file(p, *v, f);
  if (const YAML::Node t = f.get("timeouts"); t.IsDefined()) {
    const Fields tf(t, f.path_of("timeouts"), diag_, {"connect_ms", "first_byte_ms", "idle_ms"});
    if (auto v = tf.positive("connect_ms")) p.timeouts.connect_ms = std::llround(*v);
    if (auto v = tf.positive("first_byte_ms")) p.timeouts.first_byte_ms = std::llround(*v);
    if (auto v = tf.positive("idle_ms")) p.timeouts.idle_ms = std::llround(*v);
  }
  if (auto v = f.non_negative_integer("max_retries")) p.max_retries = static_cast<int>(*v);
  if (auto v = f.non_negative("tokens_per_s")) p.tokens_per_s = *v;
  if (auto v = f.positive("output_weight")) p.output_weight = *v;
  if (auto v = f.non_negative_integer("headroom_slots")) p.headroom_slots = static_cast<int>(*v);
  if (auto v = f.non_negative_integer("max_queue_ms")) p.max_queue_ms = *v;
  if (const YAML::Node slo = f.get("slo"); slo.IsDefined()) {
    const Fields s(slo, f.path_of("slo"), diag_, {"ttft_p99_ms", "tpot_p99_ms"});
    p.slo.ttft_p99_ms = s.positive("ttft_p99_ms");
    p.slo.tpot_p99_ms = s.positive("tpot_p99_ms");
  }
  if (p.engine == PoolEngine::kBuiltin) check_builtin_pool(p, f);
}

void Loader::check_builtin_pool(const Pool& p, const Fields& f) {
  const GpuSpec* gpu = find_gpu(p.gpu);
  if (gpu == nullptr) {
    diag_.add(f.has("gpu") ? yaml::pos_of(f.get("gpu")) : f.pos(),
              fmt::format("{}: unknown GPU '{}' (known: {})", f.path_of("gpu"), p.gpu,
                          known_gpu_names()));
    return;
  }
  if (p.tp != 0) {
    if (p.gpus % p.tp != 0) {
      diag_.add(yaml::pos_of(f.get("tp")),
                fmt::format("{}: {} GPUs do not split into replicas of {}", f.path_of("tp"), p.gpus,
                            p.tp));
    } else if (kv_cache_bytes(*gpu, p.tp, p.model_params_b) <= 0) {
      diag_.add(yaml::pos_of(f.get("tp")),
                fmt::format("{}: a {}B model does not fit in {} × {} ({} GB each)", f.path_of("tp"),
                            p.model_params_b, p.tp, gpu->name, gpu->memory_gb));
    }
  } else if (default_tensor_parallel(*gpu, p.gpus, p.model_params_b) == 0) {
    diag_.add(f.has("gpus") ? yaml::pos_of(f.get("gpus")) : f.pos(),
              fmt::format("{}: a {}B model does not fit in {} × {} ({} GB each)", f.path_of("gpus"),
                          p.model_params_b, p.gpus, gpu->name, gpu->memory_gb));
  }
}

void Loader::load_ca_file(Pool& p, const std::string& ca_file, const Fields& f) {
  const SourcePos pos = yaml::pos_of(f.get("ca_file"));
  if (ca_file.empty()) {
    diag_.add(pos, fmt::format("{}: must not be empty", f.path_of("ca_file")));
    return;
  }
  if (std::none_of(p.upstreams.begin(), p.upstreams.end(),
                   [](const UpstreamEndpoint& e) { return e.tls; })) {
    diag_.add(pos, fmt::format("{}: the pool has no https:// upstream", f.path_of("ca_file")));
    return;
  }
  // Read now, as serving would: `accord check` reports a file that cannot be used.
  auto loaded = TlsClientContext::load(ca_file);
  if (!loaded.ok()) {
    diag_.add(pos, fmt::format("{}: {}", f.path_of("ca_file"), loaded.error().message));
    return;
  }
  p.ca_file = ca_file;
}

// provider, api_version, anthropic_version: what the pool's upstreams speak.
void Loader::load_provider(Pool& p, const Fields& f) {
  if (auto v = f.string("provider")) {
    if (*v == "openai") {
      p.provider = UpstreamProvider::kOpenAi;
    } else if (*v == "azure") {
      p.provider = UpstreamProvider::kAzure;
    } else if (*v == "anthropic") {
      p.provider = UpstreamProvider::kAnthropic;
    } else {
      diag_.add(
          yaml::pos_of(f.get("provider")),
          fmt::format("{}: '{}' is not openai, azure or anthropic", f.path_of("provider"), *v));
    }
  }
  // Versions go into a query string or a header line as written: a token, nothing else.
  auto version = [&](std::string_view key, UpstreamProvider only, std::string& out) {
    if (!f.has(key)) return;
    const SourcePos pos = yaml::pos_of(f.get(key));
    if (p.provider != only) {
      diag_.add(pos, fmt::format("{}: only with provider: {}", f.path_of(key), to_string(only)));
      return;
    }
    auto v = f.string(key);
    if (!v) return;
    const bool token = !v->empty() && std::all_of(v->begin(), v->end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
    });
    if (!token) {
      diag_.add(pos, fmt::format("{}: '{}' is not a version (letters, digits, '-', '.', '_')",
                                 f.path_of(key), *v));
      return;
    }
    out = *v;
  };
  version("api_version", UpstreamProvider::kAzure, p.api_version);
  version("anthropic_version", UpstreamProvider::kAnthropic, p.anthropic_version);
  if (p.provider == UpstreamProvider::kAzure && !f.has("api_version")) {
    diag_.add(f.pos(),
              fmt::format("{}: required key missing (provider: azure)", f.path_of("api_version")));
  }
  load_native_apis(p, f);
}

// native_apis: the APIs besides Chat Completions that the pool's upstreams serve themselves.
void Loader::load_native_apis(Pool& p, const Fields& f) {
  const YAML::Node n = f.get("native_apis");
  if (!n.IsDefined()) return;
  auto list = yaml::read_string_list(n, f.path_of("native_apis"), diag_);
  if (!list) return;
  for (const auto& [api, node] : *list) {
    if (api != "responses") {
      diag_.add(yaml::pos_of(node), fmt::format("{}: '{}' is not an API accord relays (responses)",
                                                f.path_of("native_apis"), api));
    } else if (p.provider != UpstreamProvider::kOpenAi) {
      diag_.add(yaml::pos_of(node),
                fmt::format("{}: responses only with provider: openai", f.path_of("native_apis")));
    } else {
      p.native_responses = true;
    }
  }
}

// api_key_env or api_key_file of a pool or an endpoint: where its key is read from (not the key).
UpstreamCredential Loader::read_credential_source(const Fields& f) {
  UpstreamCredential c;
  if (f.has("api_key_env") && f.has("api_key_file")) {
    diag_.add(
        yaml::pos_of(f.get("api_key_file")),
        fmt::format("{}: give api_key_env or api_key_file, not both", f.path_of("api_key_file")));
    return c;
  }
  for (const std::string_view key : {"api_key_env", "api_key_file"}) {
    auto v = f.string(key);
    if (!v) continue;
    const SourcePos pos = yaml::pos_of(f.get(key));
    if (v->empty()) {
      diag_.add(pos, fmt::format("{}: must not be empty", f.path_of(key)));
      continue;
    }
    (key == "api_key_env" ? c.env : c.file) = *v;
    c.key = f.path_of(key);
    c.pos = pos;
  }
  return c;
}

// The URL of an azure or anthropic upstream is the API's root; accord adds the API's own path.
void Loader::check_provider_url(const Pool& p, const UpstreamEndpoint& e, const YAML::Node& url,
                                const std::string& path) {
  const std::string_view base = e.base_path;
  if (p.provider == UpstreamProvider::kAnthropic && base.ends_with("/v1")) {
    diag_.add(yaml::pos_of(url),
              fmt::format("{}: an anthropic upstream's URL is the API's root "
                          "(https://api.anthropic.com): accord adds /v1/messages",
                          path));
  } else if (p.provider == UpstreamProvider::kAzure &&
             (base.ends_with("/openai") || base.find("/openai/") != std::string_view::npos)) {
    diag_.add(yaml::pos_of(url), fmt::format("{}: an azure upstream's URL is the resource's root "
                                             "(https://NAME.openai.azure.com): accord adds "
                                             "/openai/deployments/DEPLOYMENT/...",
                                             path));
  }
}

void Loader::load_upstreams(Pool& p, const YAML::Node& node, const std::string& path,
                            const UpstreamCredential& pool_credential) {
  if (!node.IsSequence() || node.size() == 0) {
    diag_.add(yaml::pos_of(node), fmt::format("{}: expected a non-empty list of endpoints", path));
    return;
  }
  for_each_item(node, path, [&](size_t, const YAML::Node& item, const std::string& item_path) {
    const Fields f(item, item_path, diag_, {"url", "max_inflight", "api_key_env", "api_key_file"});
    if (!f.ok()) return;
    UpstreamEndpoint e;
    const YAML::Node url = f.require("url");
    if (auto u = url.IsDefined() ? yaml::read_string(url, f.path_of("url"), diag_) : std::nullopt) {
      e.url = *u;
      if (auto problem = parse_http_url(*u, e)) {
        diag_.add(yaml::pos_of(url), fmt::format("{}: {}", f.path_of("url"), *problem));
      } else {
        check_provider_url(p, e, url, f.path_of("url"));
      }
    }
    if (auto v = f.integer("max_inflight")) {
      if (*v < 1) {
        diag_.add(yaml::pos_of(f.get("max_inflight")),
                  fmt::format("{}: must be at least 1", f.path_of("max_inflight")));
      } else {
        e.max_inflight = static_cast<int>(*v);
      }
    }
    e.credential = read_credential_source(f);  // the endpoint's own overrides the pool's
    if (e.credential.empty()) e.credential = pool_credential;
    p.upstreams.push_back(std::move(e));
  });
}

}  // namespace accord::loader
