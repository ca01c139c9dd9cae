// The model list (GET /v1/models, /v1/models/{id}): the models the caller may call now.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "http/openai_error.h"
#include "policy/authenticate.h"
#include "policy/entitle.h"
#include "routes/routes.h"

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

asio::awaitable<void> serve_models(const RouteContext& c, HttpExchange& exchange,
                                   std::string_view model_id) {
  HeaderLines headers;
  const auto snapshot = c.store->current();
  const Agreement& a = *snapshot->agreement;
  auto key = authenticate(*snapshot->keys, exchange.header("authorization"));
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  const PartyId party = key.value()->party;
  const UnixMillis now = c.clock->wall_now();
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
