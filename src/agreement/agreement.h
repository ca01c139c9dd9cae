// The agreement: one validated, immutable snapshot of everything the agreement file says.
// Built by load_agreement() (loader.h); read by the request path through
// std::shared_ptr<const Agreement>; never changed after construction. Entities refer to each
// other by dense index (PartyId, ModelId, ...) so the request path does no string lookups.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agreement/diagnostics.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/string_map.h"

namespace accord {

class TlsServerContext;  // http/tls_server.h

using PartyId = int32_t;
using TierId = int32_t;
using ModelId = int32_t;
using PoolId = int32_t;
constexpr int32_t kNone = -1;

enum class PartyRole : uint8_t { kProvider, kOperator, kCustomer, kInternal };
const char* to_string(PartyRole role);

// Rate and spend limits; unset means "no limit at this level".
struct Limits {
  std::optional<int64_t> rpm;
  std::optional<int64_t> tpm;
  std::optional<int64_t> max_concurrent;
  std::optional<int64_t> budget_micro_usd_per_month;
};

struct RevenueShare {
  PartyId party = kNone;
  int64_t share_ppm = 0;
};

struct Tier {
  std::string name;
  double weight = 1.0;                  // share of contended capacity (VTC weight)
  Limits limits;                        // defaults for the tier's parties
  bool priority = false;                // may ask for service_tier "priority"
  bool preemptible = false;             // runs on idle capacity only
  std::optional<int64_t> discount_ppm;  // discount in parts per million of list price
};

struct Party {
  std::string name;
  PartyRole role = PartyRole::kCustomer;
  TierId tier = kNone;  // kNone: the party may call no model
  Limits limits;        // tighter than the tier's
  std::optional<int64_t> discount_ppm;
  std::optional<bool> priority;
  // Models this party buys on other terms (through a reseller, say): who gets its revenue.
  std::vector<std::pair<ModelId, std::vector<RevenueShare>>> revenue_share;
};

struct Price {
  int64_t input_micro_usd_per_mtok = 0;
  int64_t output_micro_usd_per_mtok = 0;
  // Prompt tokens the provider read from its prompt cache; absent: the input price.
  std::optional<int64_t> cached_input_micro_usd_per_mtok;
  int64_t priority_multiplier_ppm = 2'000'000;
  int64_t flex_multiplier_ppm = 500'000;
};

enum class ModelKind : uint8_t { kChat, kEmbedding };

struct Model {
  std::string name;
  PartyId owner = kNone;
  PoolId pool = kNone;
  ModelKind kind = ModelKind::kChat;
  int64_t context_window = 131072;
  std::optional<int64_t> max_output_tokens;
  int embedding_dimensions = 1024;
  // Per tier (indexed by TierId): from when it may call the model; nullopt = never.
  // When the file has no `available`, every tier may call the model from the start.
  std::vector<std::optional<UnixMillis>> available_from;
  std::vector<PartyId> exclusive_parties;  // empty: not exclusive
  std::optional<UnixMillis> exclusive_until;
  Price price;
  std::vector<RevenueShare> revenue_share;
  std::string upstream_model;  // the name upstreams know it by; empty: the same name
  int created_unix_s = 0;      // "created" in /v1/models (the earliest availability)
  // Its terms on another pool that may serve it (a fallback): the name that pool's upstreams
  // know it by and its price there. A pool without terms serves it by its own name and price.
  struct PoolTerms {
    PoolId pool = kNone;
    std::string upstream_model;  // empty: the model's own upstream_model (or name)
    std::optional<Price> price;  // absent: the model's price
  };
  std::vector<PoolTerms> served_by;
  const PoolTerms* terms_on(PoolId p) const {
    for (const PoolTerms& t : served_by) {
      if (t.pool == p) return &t;
    }
    return nullptr;
  }
  // The name pool `p`'s upstreams know it by ("" for its own name).
  const std::string& upstream_name_on(PoolId p) const {
    const PoolTerms* t = terms_on(p);
    return t != nullptr && !t->upstream_model.empty() ? t->upstream_model : upstream_model;
  }
  const Price& price_on(PoolId p) const {
    const PoolTerms* t = terms_on(p);
    return t != nullptr && t->price ? *t->price : price;
  }
};

enum class PoolEngine : uint8_t { kBuiltin, kUpstream };

// The API an upstream pool's endpoints speak (upstream/provider_http.h: paths and headers).
enum class UpstreamProvider : uint8_t {
  kOpenAi,     // OpenAI-compatible: Authorization: Bearer, {url}/chat/completions
  kAzure,      // Azure OpenAI: api-key, {url}/openai/deployments/{deployment}/...?api-version=
  kAnthropic,  // Anthropic's Messages: x-api-key, {url}/v1/messages (translated from chat)
};
const char* to_string(UpstreamProvider provider);

// Where an upstream's key is read from (agreement/credentials.h reads it): an environment
// variable or a file, named by the pool or by one endpoint. Never the key itself: the agreement
// holds no secret.
struct UpstreamCredential {
  std::string env;   // api_key_env: the variable's name
  std::string file;  // api_key_file: its path, relative to the working directory
  std::string key;   // where it was written, for messages: "pools.up.upstreams[0].api_key_file"
  SourcePos pos;     // and at which line and column
  bool empty() const { return env.empty() && file.empty(); }
};

struct UpstreamEndpoint {
  std::string url;   // as written, e.g. "http://127.0.0.1:8001/v1"
  std::string host;  // "127.0.0.1"
  uint16_t port = 80;
  std::string base_path;  // "/v1" (no trailing slash)
  bool tls = false;       // https://: verified against the pool's ca_file or the system's CAs
  int max_inflight = 64;
  // Its key: the endpoint's own api_key_env/api_key_file, else the pool's; empty: none.
  UpstreamCredential credential;
};

struct UpstreamTimeouts {
  int64_t connect_ms = 2'000;
  int64_t first_byte_ms = 300'000;
  int64_t idle_ms = 60'000;
};

struct Slo {
  std::optional<double> ttft_p99_ms;
  std::optional<double> tpot_p99_ms;
  std::optional<double> availability_percent;
};

struct Pool {
  std::string name;
  PoolEngine engine = PoolEngine::kBuiltin;
  // builtin engine
  std::string gpu = "h100";
  int gpus = 1;
  int tp = 0;  // 0: the fewest GPUs whose memory holds the model
  double model_params_b = 8;
  int max_batch = 0;  // 0: the engine model's calibrated default
  // upstreams
  std::vector<UpstreamEndpoint> upstreams;
  UpstreamProvider provider = UpstreamProvider::kOpenAi;
  std::string api_version;                       // azure: the api-version query parameter
  std::string anthropic_version = "2023-06-01";  // anthropic: the anthropic-version header
  std::string ca_file;  // PEM CAs its https upstreams are verified against; empty: the system's
  // native_apis: [responses]: its upstreams serve the Responses API themselves (vLLM, OpenAI), so
  // a /v1/responses request is relayed to them as received rather than translated to chat.
  bool native_responses = false;
  UpstreamTimeouts timeouts;
  int max_retries = 2;
  // capacity
  std::optional<double> tokens_per_s;
  double output_weight = 3.0;
  int headroom_slots = 0;
  int64_t max_queue_ms = 30'000;
  // The pools that serve its requests, in order, when it cannot start one in time or its
  // upstream fails before the first byte (never after).
  std::vector<PoolId> fallback;
  // Latency targets of every request on the pool (availability unused here). What the pool runs
  // at once is sized so that these and the reservations' targets hold; unset TPOT: 2 × the
  // unloaded step time (builtin) or the no-load latency the adaptive limit measures (upstreams).
  Slo slo;
};

struct Reservation {
  PartyId party = kNone;
  ModelId model = kNone;
  double tokens_per_s = 0;
  double burst_s = 1.0;
  bool spillover = true;
  // spillover: { to: POOL }: beyond the reservation, the request competes for its own pool's
  // shared capacity and then goes to POOL (before the pool's own fallbacks).
  PoolId spillover_to = kNone;
  Slo slo;
};

struct PartyModelLimit {
  PartyId party = kNone;
  ModelId model = kNone;
  Limits limits;
};

struct SlaCredit {
  double below_percent = 0;
  double credit_percent = 0;
};

struct Sla {
  std::string period = "month";
  std::vector<SlaCredit> credits;  // sorted by below_percent, descending
};

// What a key may do: call the models (a customer key), or manage its party's keys (an admin
// key: /admin/keys, /admin/audit; it cannot call models).
enum class KeyRole : uint8_t { kCustomer, kAdmin };

struct ApiKey {
  std::string id;
  PartyId party = kNone;
  Sha256Digest sha256{};
  Limits limits;
  KeyRole role = KeyRole::kCustomer;
  UnixMillis expires_at = 0;  // 0: never
  // Not empty: the only models it may call (a key made through the keys API may be restricted).
  std::vector<ModelId> models;
  bool restricted = false;  // models lists all it may call (none, if every one is gone)
  // A rotated key's previous secret, which still works until previous_valid_until.
  std::optional<Sha256Digest> previous_sha256;
  UnixMillis previous_valid_until = 0;
  bool managed = false;  // made through the keys API (stored in the ledger's database)
  std::string name;      // what its maker called it ("" for keys in the agreement)

  bool may_call(ModelId m) const {
    return !restricted || std::find(models.begin(), models.end(), m) != models.end();
  }
};

enum class Durability : uint8_t { kBatch, kStrict };

struct LedgerConfig {
  bool enabled = true;
  std::string path = "accord.db";
  Durability durability = Durability::kBatch;
  int64_t flush_interval_ms = 50;
  // How long the Responses API keeps a stored response (store: true); OpenAI keeps 30 days.
  int64_t responses_ttl_ms = int64_t{30} * 86'400'000;
};

// The longest server.busy_poll_us: past a few wake-ups' worth, polling only burns the core.
inline constexpr int64_t kMaxBusyPollUs = 10'000;

// server.tls: the listener speaks TLS with this certificate and key (PEM files).
struct ServerTls {
  std::string cert_file;  // the certificate, then any intermediates
  std::string key_file;   // its private key, unencrypted
  SourcePos cert_pos;     // where each was written, for messages
  SourcePos key_pos;
  // The two loaded, when the agreement is loaded to serve or to check
  // (LoadOptions::read_credentials): what the listener's new connections take after a reload.
  std::shared_ptr<const TlsServerContext> context;
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  ServerTls tls;                      // off unless server.tls is given
  std::string access_log = "stderr";  // stderr, off, or a file (appended to)
  int64_t max_body_bytes = int64_t{16} * 1024 * 1024;
  int64_t max_header_bytes = int64_t{16} * 1024;
  int64_t header_timeout_ms = 10'000;  // whole request head, however slowly it trickles in
  int64_t body_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 75'000;  // keep-alive connection with no request
  int64_t max_connections = 10'000;
  int64_t max_connections_per_ip = 1'024;
  int64_t drain_grace_ms = 30'000;
  // The longest an idle event loop polls before it sleeps; how long it does adapts (busy_poll.h).
  int64_t busy_poll_us = 200;
};

// traces: OpenTelemetry spans of each request, exported over OTLP/HTTP with JSON encoding
// (src/trace/). Absent: no tracing. Every key applies on reload.
struct TracesConfig {
  bool enabled = false;  // the section is present
  std::string endpoint;  // as written, e.g. "http://127.0.0.1:4318/v1/traces"
  std::string host;
  uint16_t port = 80;
  std::string path = "/v1/traces";  // the URL's path, or this when it has none
  double sample_ratio = 1.0;        // of the traces the client has not decided (traceparent)
  std::string service_name = "accord";
  int64_t flush_interval_ms = 1'000;  // the longest a span waits before it is sent
  int64_t max_queue_spans = 8'192;    // spans waiting to be sent; beyond, dropped and counted
};

struct Agreement {
  std::string source;  // file name, for messages
  std::vector<Tier> tiers;
  std::vector<Party> parties;
  std::vector<Model> models;
  std::vector<Pool> pools;
  std::vector<Reservation> reservations;
  std::vector<PartyModelLimit> limits;
  Sla sla;
  std::vector<ApiKey> keys;
  LedgerConfig ledger;
  ServerConfig server;
  TracesConfig traces;

  StringMap<PartyId> party_by_name;
  StringMap<TierId> tier_by_name;
  StringMap<ModelId> model_by_name;
  StringMap<PoolId> pool_by_name;

  const Tier* tier_of(PartyId p) const {
    const TierId t = parties[p].tier;
    return t == kNone ? nullptr : &tiers[t];
  }
  std::optional<ModelId> find_model(std::string_view name) const;
  // Who gets the revenue of `model` sold to `party`: the party's override, else the model's.
  const std::vector<RevenueShare>& revenue_share(PartyId party, ModelId model) const;
  std::optional<PartyId> find_party(std::string_view name) const;
};

}  // namespace accord
