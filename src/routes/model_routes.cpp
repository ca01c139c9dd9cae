// The model list (GET /v1/models, /v1/models/{id}): the models the caller may call now. Asked
// with Anthropic's headers (anthropic-version; the key in x-api-key), it answers in Anthropic's
// shape, errors included.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apis/messages_api.h"
#include "core/json_writer.h"
#include "core/rfc3339.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"
#include "routes/routes.h"
#include "translate/anthropic_error.h"

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

void write_anthropic_model(JsonWriter& w, const Model& m) {
  w.begin_object().field("type", "model").field("id", m.name).field("display_name", m.name);
  w.field("created_at", format_rfc3339(static_cast<UnixMillis>(m.created_unix_s) * 1000));
  w.end_object();
}

asio::awaitable<void> refuse(HttpExchange& exchange, const Error& error, bool anthropic) {
  const HeaderLines headers{};
  if (anthropic) {
    co_await exchange.respond(http_status(error.kind), "application/json",
                              anthropic_error_body(error), headers);
  } else {
    co_await respond_error(exchange, error, headers);
  }
}

asio::awaitable<void> serve_models(const RouteContext& c, HttpExchange& exchange,
                                   std::string_view model_id) {
  HeaderLines headers;
  const auto snapshot = c.store->current();
  const Agreement& a = *snapshot->agreement;
  const bool anthropic = !exchange.header("anthropic-version").empty();
  const std::string from_api_key = anthropic ? anthropic_authorization(exchange) : std::string();
  auto key = authenticate(*snapshot->keys,
                          from_api_key.empty() ? exchange.header("authorization") : from_api_key,
                          c.clock->wall_now());
  if (!key.ok()) {
    co_await refuse(exchange, key.error(), anthropic);
    co_return;
  }
  const ApiKey& caller = *key.value();
  const PartyId party = caller.party;
  const UnixMillis now = c.clock->wall_now();
  // What the key may call: its party's entitlement, narrowed by the key's own models.
  const auto callable = [&](ModelId m) {
    return entitlement(a, party, m, now) == Entitlement::kAllowed && caller.may_call(m);
  };
  std::string out;
  JsonWriter w(out);
  if (!model_id.empty()) {
    const auto id = a.find_model(model_id);
    if (!id) {
      co_await refuse(exchange, unknown_model(model_id), anthropic);
      co_return;
    }
    if (Status s = entitle(a, party, *id, now); !s.ok()) {
      co_await refuse(exchange, s.error(), anthropic);
      co_return;
    }
    if (!caller.may_call(*id)) {
      co_await refuse(exchange, key_not_entitled(caller.id, model_id), anthropic);
      co_return;
    }
    if (anthropic) {
      write_anthropic_model(w, a.models[*id]);
    } else {
      write_model(w, a, a.models[*id]);
    }
  } else if (anthropic) {
    std::vector<const Model*> listed;
    for (size_t i = 0; i < a.models.size(); ++i) {
      if (callable(static_cast<ModelId>(i))) {
        listed.push_back(&a.models[i]);
      }
    }
    w.begin_object().key("data").begin_array();
    for (const Model* m : listed) write_anthropic_model(w, *m);
    w.end_array().field("has_more", false);
    if (listed.empty()) {
      w.key("first_id").null().key("last_id").null();
    } else {
      w.field("first_id", listed.front()->name).field("last_id", listed.back()->name);
    }
    w.end_object();
  } else {
    w.begin_object().field("object", "list").key("data").begin_array();
    for (size_t i = 0; i < a.models.size(); ++i) {
      if (callable(static_cast<ModelId>(i))) {
        write_model(w, a, a.models[i]);
      }
    }
    w.end_array().end_object();
  }
  co_await exchange.respond(200, "application/json", out, headers);
}

}  // namespace

void add_model_routes(Router& router, const RouteContext& context) {
  const RouteContext* c = &context;
  router.add("GET", "/v1/models", [c](HttpExchange& exchange, std::string_view) {
    return serve_models(*c, exchange, {});
  });
  router.add_prefix("GET", "/v1/models/", [c](HttpExchange& exchange, std::string_view path) {
    return serve_models(*c, exchange, path.substr(11));
  });
}

}  // namespace accord
