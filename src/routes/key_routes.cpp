// The keys API (keys/key_admin.h): authentication picks the caller (an operator key, or a party's
// admin key; any other key gets 403), and the work runs on the key store's thread.
#include <fmt/format.h>

#include <charconv>

#include "http/openai_error.h"
#include "http/query.h"
#include "keys/key_admin.h"
#include "policy/authenticate.h"
#include "routes/routes.h"
#include "runtime/offload.h"

namespace accord {
namespace {

constexpr std::string_view kKeysPrefix = "/admin/keys/";
constexpr std::string_view kRotate = "/rotate";
constexpr int64_t kDefaultAuditRows = 100;
constexpr int64_t kMaxAuditRows = 1000;

enum class Action { kCreate, kList, kRotate, kRevoke, kAudit };

// The caller, or the error that answers it.
Result<KeyCaller> key_caller(const RouteContext& c, HttpExchange& exchange) {
  const auto snapshot = c.store->current();
  const Agreement& a = *snapshot->agreement;
  auto key = authenticate(*snapshot->keys, exchange.header("authorization"), c.clock->wall_now());
  if (!key.ok()) return key.take_error();
  const ApiKey& k = *key.value();
  KeyCaller caller;
  caller.key_id = k.id;
  caller.party = a.parties[k.party].name;
  caller.is_operator = a.parties[k.party].role == PartyRole::kOperator;
  caller.address = std::string(exchange.peer_address());
  if (!caller.is_operator && k.role != KeyRole::kAdmin) {
    return Error::client(ErrorKind::kForbidden,
                         "The keys API needs an operator key or the party's admin key.");
  }
  if (c.keys == nullptr) {
    return Error::client(ErrorKind::kInvalidRequest,
                         "The keys API keeps keys in the ledger's database, and this gateway has "
                         "none (ledger: { enabled: false }).");
  }
  return caller;
}

Result<int64_t> audit_rows(std::string_view target) {
  const auto limit = query_param(target, "limit");
  if (!limit) return kDefaultAuditRows;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
  if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > kMaxAuditRows) {
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("'limit' must be an integer from 1 to {}.", kMaxAuditRows),
                         "limit");
  }
  return n;
}

// The job for the store's thread, built outside the coroutine (GCC 12 miscompiles lambdas that
// capture a coroutine's locals by copy).
std::function<Result<KeyAnswer>()> key_job(KeyAdmin& admin, Action action, KeyCaller caller,
                                           std::string id, std::string body, int64_t rows) {
  return [&admin, action, caller = std::move(caller), id = std::move(id), body = std::move(body),
          rows]() -> Result<KeyAnswer> {
    switch (action) {
      case Action::kCreate:
        return admin.create(caller, body);
      case Action::kList:
        return admin.list(caller);
      case Action::kRotate:
        return admin.rotate(caller, id, body);
      case Action::kRevoke:
        return admin.revoke(caller, id);
      case Action::kAudit:
        return admin.audit(caller, rows);
    }
    return admin.list(caller);
  };
}

asio::awaitable<void> serve_keys(const RouteContext& c, HttpExchange& exchange, Action action,
                                 std::string id) {
  const HeaderLines headers{};
  auto caller = key_caller(c, exchange);
  int64_t rows = kDefaultAuditRows;
  if (caller.ok() && action == Action::kAudit) {
    auto parsed = audit_rows(exchange.target());
    if (!parsed.ok()) {
      co_await respond_error(exchange, parsed.error(), headers);
      co_return;
    }
    rows = parsed.value();
  }
  if (!caller.ok()) {
    co_await respond_error(exchange, caller.error(), headers);
    co_return;
  }
  if (action != Action::kCreate && action != Action::kList && action != Action::kAudit &&
      id.empty()) {
    co_await respond_error(
        exchange,
        Error::client(ErrorKind::kRouteNotFound, fmt::format("Unknown request URL: {} {}.",
                                                             exchange.method(), exchange.target())),
        headers);
    co_return;
  }
  auto answer = co_await run_off_loop<Result<KeyAnswer>>(
      c.keys->worker(),
      key_job(*c.keys, action, std::move(caller.value()), std::move(id), exchange.body(), rows));
  if (!answer.ok()) {
    co_await respond_error(exchange, answer.error(), headers);
    co_return;
  }
  co_await exchange.respond(answer.value().status, "application/json", answer.value().body,
                            headers);
}

}  // namespace

void add_key_routes(Router& router, const RouteContext& context) {
  const RouteContext* c = &context;
  router.add("POST", "/admin/keys", [c](HttpExchange& exchange, std::string_view) {
    return serve_keys(*c, exchange, Action::kCreate, {});
  });
  router.add("GET", "/admin/keys", [c](HttpExchange& exchange, std::string_view) {
    return serve_keys(*c, exchange, Action::kList, {});
  });
  router.add("GET", "/admin/audit", [c](HttpExchange& exchange, std::string_view) {
    return serve_keys(*c, exchange, Action::kAudit, {});
  });
  router.add_prefix("POST", std::string(kKeysPrefix),
                    [c](HttpExchange& exchange, std::string_view path) {
                      std::string_view rest = path.substr(kKeysPrefix.size());
                      const bool rotate = rest.ends_with(kRotate);
                      if (rotate) rest.remove_suffix(kRotate.size());
                      // Not .../rotate: no such route (an empty id is not found).
                      return serve_keys(*c, exchange, Action::kRotate,
                                        rotate ? std::string(rest) : std::string());
                    });
  router.add_prefix("DELETE", std::string(kKeysPrefix),
                    [c](HttpExchange& exchange, std::string_view path) {
                      return serve_keys(*c, exchange, Action::kRevoke,
                                        std::string(path.substr(kKeysPrefix.size())));
                    });
}

}  // namespace accord
