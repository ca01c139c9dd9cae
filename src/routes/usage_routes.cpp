// The usage API: a customer's own usage (/v1/usage), and for operators everyone's usage, SLA and
// settlement (/admin/usage, /admin/sla, /admin/settlement). Reports are computed from the ledger
// on a worker thread, off the event loops.
#include <fmt/format.h>
#include <boost/asio/thread_pool.hpp>

#include "core/json_writer.h"
#include "core/rfc3339.h"
#include "http/openai_error.h"
#include "http/query.h"
#include "ledger/report/report.h"
#include "policy/authenticate.h"
#include "routes/routes.h"
#include "runtime/offload.h"

namespace accord {
namespace {

asio::thread_pool& report_threads() {
  static asio::thread_pool pool(1);
  return pool;
}

// The period of a report request: ?period=YYYY-MM, or ?from=&to= (dates or RFC 3339), or the
// current month.
Result<Period> period_of(std::string_view target, UnixMillis now) {
  if (auto month = query_param(target, "period")) return parse_month(*month);
  const auto from = query_param(target, "from");
  const auto to = query_param(target, "to");
  if (from || to) return parse_range(from.value_or(""), to.value_or(""));
  return parse_month(format_rfc3339(now).substr(0, 7));
}

// Runs on the report thread: first commits what is still queued (so the figures include the
// caller's latest requests), then reads the ledger.
std::function<std::shared_ptr<Result<Report>>()> report_job(
    Ledger* ledger, std::shared_ptr<const Agreement> agreement, std::string ledger_path,
    Period period, std::optional<std::string> party) {
  return [ledger, agreement = std::move(agreement), ledger_path = std::move(ledger_path),
          period = std::move(period), party = std::move(party)] {
    if (ledger != nullptr) ledger->flush(1'000);
    return std::make_shared<Result<Report>>(build_report(*agreement, ledger_path, period, party));
  };
}

asio::awaitable<void> serve_usage_api(const RouteContext& c, HttpExchange& exchange,
                                      std::string_view path) {
  HeaderLines headers;
  const auto snapshot = c.store->current();
  const Agreement& a = *snapshot->agreement;
  const bool customer_api = path == "/v1/usage";
  auto key =
      customer_api
          ? authenticate(*snapshot->keys, exchange.header("authorization"), c.clock->wall_now())
          : authenticate_operator(a, *snapshot->keys, exchange.header("authorization"),
                                  c.clock->wall_now());
  if (!key.ok()) {
    co_await respond_error(exchange, key.error(), headers);
    co_return;
  }
  const PartyId caller = key.value()->party;
  if (!a.ledger.enabled) {
    co_await respond_error(
        exchange, Error::internal(ErrorKind::kUnavailable, "The ledger is disabled."), headers);
    co_return;
  }
  auto period = period_of(exchange.target(), c.clock->wall_now());
  if (!period.ok()) {
    co_await respond_error(exchange, period.error(), headers);
    co_return;
  }
  // A customer sees its own party's figures only, whatever it asks for.
  std::optional<std::string> party;
  if (customer_api) party = a.parties[caller].name;
  const std::optional<std::string> model = query_param(exchange.target(), "model");
  const std::string ledger_path = a.ledger.path;
  const Period p = period.value();
  const auto agreement = snapshot->agreement;
  // The job is built outside this coroutine: GCC 12 miscompiles lambdas that capture a
  // coroutine's locals by copy.
  std::function<std::shared_ptr<Result<Report>>()> job =
      report_job(c.ledger, agreement, ledger_path, p, party);
  const std::shared_ptr<Result<Report>> built =
      co_await run_off_loop<std::shared_ptr<Result<Report>>>(report_threads(), std::move(job));
  Result<Report>& report = *built;
  if (!report.ok()) {
    co_await respond_error(exchange, report.error(), headers);
    co_return;
  }
  Report& r = report.value();
  if (model) {
    std::erase_if(r.usage, [&](const UsageLine& u) { return u.model != *model; });
    std::erase_if(r.reservations, [&](const ReservationLine& l) { return l.model != *model; });
  }
  std::string body;
  if (customer_api) {
    JsonWriter w(body);
    w.begin_object().field("object", "usage").field("party", *party);
    w.field("period", r.period.label).field("from", r.period.from).field("to", r.period.to);
    w.key("data").begin_array();
    int64_t requests = 0, input = 0, cached = 0, output = 0, cost = 0;
    for (const UsageLine& u : r.usage) {
      w.begin_object().field("model", u.model).field("class", u.cls);
      w.field("service_tier", u.service_tier).field("requests", u.requests);
      w.field("failed", u.failed).field("input_tokens", u.prompt_tokens);
      w.field("cached_input_tokens", u.cached_prompt_tokens);
      w.field("output_tokens", u.completion_tokens).field("cost_micro_usd", u.net_micro_usd);
      w.end_object();
      requests += u.requests;
      input += u.prompt_tokens;
      cached += u.cached_prompt_tokens;
      output += u.completion_tokens;
      cost += u.net_micro_usd;
    }
    w.end_array().key("totals").begin_object().field("requests", requests);
    w.field("input_tokens", input).field("cached_input_tokens", cached);
    w.field("output_tokens", output).field("cost_micro_usd", cost);
    w.end_object().end_object();
  } else {
    const ReportSections section = path == "/admin/usage" ? ReportSections::kUsage
                                   : path == "/admin/sla" ? ReportSections::kSla
                                                          : ReportSections::kSettlement;
    body = report_json(r, section);
  }
  co_await exchange.respond(200, "application/json", body, headers);
}

}  // namespace

void add_usage_routes(Router& router, const RouteContext& context) {
  const RouteContext* c = &context;
  for (const char* path : {"/v1/usage", "/admin/usage", "/admin/sla", "/admin/settlement"}) {
    router.add("GET", path, [c](HttpExchange& exchange, std::string_view p) {
      return serve_usage_api(*c, exchange, p);
    });
  }
}

}  // namespace accord
