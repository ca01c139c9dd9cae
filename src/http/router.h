// Router: the server's route table. Each route is a method and a path (exact, or a prefix ending
// in '/') with its handler; the first match wins. A path that matches with another method gets
// 405 naming the methods it allows; a path that matches nothing, OpenAI's 404.
// Built before serving starts and read-only after, so any loop may use it without locks.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace accord {

class Router final : public HttpHandler {
 public:
  // `path` is the request's path without its query. The handler outlives no request: it may hold
  // references to what the router's owner keeps alive while serving.
  using Handler = std::function<asio::awaitable<void>(HttpExchange&, std::string_view path)>;

  // REQUIRES: called before serving starts.
  void add(std::string_view method, std::string path, Handler handler);
  // Every path that starts with `prefix`.
  void add_prefix(std::string_view method, std::string prefix, Handler handler);

  // Not a coroutine: the matching handler's coroutine is the only frame a request needs.
  asio::awaitable<void> handle(HttpExchange& exchange) override;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix = false;
    Handler handler;
  };
  bool matches(const Route& route, std::string_view path) const {
    return route.prefix ? path.starts_with(route.path) : path == route.path;
  }

  std::vector<Route> routes_;
};

// The path of a request target, without its query.
std::string_view path_of(std::string_view target);

}  // namespace accord
