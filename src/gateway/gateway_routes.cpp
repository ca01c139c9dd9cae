// The gateway's routes besides inference: the model list, readiness and the admin reload.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "gateway/gateway.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"

namespace accord {
namespace {

void write_model(JsonWriter& w, const Agreement& a, const Model& m) {
  w.begin_object();
  w.field("id", m.name);
  w.field("object", "model");
  w.field("created", static_cast<int64_t>(m.created_unix_s));
  w.field("owned_by", m.owner == kNone ? std::string_view("accord")
                                       : std::string_view(a.parties[m.owner].name));
  w.end_object();
}

}  // namespace

asio::awaitable<void> Gateway::serve_models(HttpExchange& exchange, std::string_view model_id,
                                            HeaderLines& headers) {
  const auto snapshot = store_.current();
  const Agreement& a = *snapshot->agreement;
  auto key = authenticate(*snapshot->keys, exchange.header("authorization"));
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  const PartyId party = key.value()->party;
  const UnixMillis now = clock_.wall_now();
  std::string out;
  JsonWriter w(out);
  if (!model_id.empty()) {
    const auto id = a.find_model(model_id);
    if (!id) {
      co_await respond_error(exchange, unknown_model(model_id), headers);
      co_return;
    }
    if (Status s = entitle(a, party, *id, now); !s.ok()) {
      co_await respond_error(exchange, s.error(), headers);
      co_return;
    }
    write_model(w, a, a.models[*id]);
  } else {
    w.begin_object().field("object", "list").key("data").begin_array();
    for (size_t i = 0; i < a.models.size(); ++i) {
      if (entitlement(a, party, static_cast<ModelId>(i), now) == Entitlement::kAllowed) {
        write_model(w, a, a.models[i]);
      }
    }
    w.end_array().end_object();
  }
  co_await exchange.respond(200, "application/json", out, headers);
}

asio::awaitable<void> Gateway::serve_readyz(HttpExchange& exchange, HeaderLines& headers) {
  const auto snapshot = store_.current();
  const Agreement& a = *snapshot->agreement;
  bool ready = true;
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("pools").begin_object();
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const PoolBackend& backend = *snapshot->pools[i];
    const bool pool_ready = backend.engine != nullptr || backend.endpoints->any_healthy();
    ready = ready && pool_ready;
    w.field(a.pools[i].name, pool_ready ? "ready" : "no healthy endpoint");
  }
  w.end_object();
  w.field("status", ready ? "ready" : "not ready");
  w.end_object();
  const int status = ready ? 200 : 503;
  co_await exchange.respond(status, "application/json", out, headers);
}

asio::awaitable<void> Gateway::serve_reload(HttpExchange& exchange, HeaderLines& headers) {
  const auto snapshot = store_.current();
  auto key = authenticate_operator(*snapshot->agreement, *snapshot->keys,
                                   exchange.header("authorization"));
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  const ReloadResult result = store_.reload();
  std::string out;
  JsonWriter w(out);
  if (result.ok) {
    spdlog::info("agreement reloaded by {}: {}", key.value()->id, result.summary);
    w.begin_object().field("status", "reloaded").field("summary", result.summary).end_object();
    co_await exchange.respond(200, "application/json", out, headers);
    co_return;
  }
  spdlog::warn(
      "reload by {} refused: the new agreement has {} problem(s); the old one keeps "
      "serving",
      key.value()->id, result.errors.size());
  w.begin_object().key("error").begin_object();
  w.field("message", fmt::format("The new agreement is invalid ({} problem(s)); the old one keeps "
                                 "serving.",
                                 result.errors.size()));
  w.field("type", "invalid_request_error");
  w.key("param").null();
  w.field("code", "invalid_agreement");
  w.key("errors").begin_array();
  for (const std::string& e : result.errors) w.value(e);
  w.end_array();
  w.end_object().end_object();
  co_await exchange.respond(422, "application/json", out, headers);
}

}  // namespace accord
