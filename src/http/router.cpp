#include "http/router.h"

#include <fmt/format.h>

#include "http/openai_error.h"

namespace accord {
namespace {

asio::awaitable<void> refuse(HttpExchange& exchange, std::string allowed) {
  HeaderLines headers;
  const std::string_view path = path_of(exchange.target());
  if (allowed.empty()) {
    co_await respond_error(
        exchange,
        Error::client(ErrorKind::kRouteNotFound,
                      fmt::format("Unknown request URL: {} {}.", exchange.method(), path)),
        headers);
    co_return;
  }
  headers.add("allow", allowed);
  co_await respond_error(
      exchange,
      Error::client(ErrorKind::kMethodNotAllowed,
                    fmt::format("{} is not allowed on {}.", exchange.method(), path)),
      headers);
}

}  // namespace

std::string_view path_of(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

void Router::add(std::string_view method, std::string path, Handler handler) {
  routes_.push_back(Route{std::string(method), std::move(path), false, std::move(handler)});
}

void Router::add_prefix(std::string_view method, std::string prefix, Handler handler) {
  routes_.push_back(Route{std::string(method), std::move(prefix), true, std::move(handler)});
}

asio::awaitable<void> Router::handle(HttpExchange& exchange) {
  const std::string_view path = path_of(exchange.target());
  const std::string_view method = exchange.method();
  std::string allowed;
  for (const Route& route : routes_) {
    if (!matches(route, path)) continue;
    if (route.method == method) return route.handler(exchange, path);
    if (allowed.find(route.method) == std::string::npos) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.method;
    }
  }
  return refuse(exchange, std::move(allowed));
}

}  // namespace accord
