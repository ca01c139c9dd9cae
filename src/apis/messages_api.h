// Anthropic's Messages API (POST /v1/messages), served through the Chat Completions pipeline: a
// request is translated to Chat Completions (translate/anthropic_request.h), runs through the
// gateway with the same entitlements, limits, scheduler, backends and ledger as chat, and its
// answer — whole, or Anthropic's event stream — and its errors come back in Anthropic's shape.
// A model whose pool is an Anthropic one (`provider: anthropic`) gets the request as received
// (the model renamed) and the client its answer byte for byte (backend/backend.h NativeRelay).
// A request that uses what the translation cannot carry (extended thinking, server tools, ...) is
// served by Anthropic pools only, and refused with a 400 naming the field on any other
// (translate/native_only.h).
// The key comes in `x-api-key` (Anthropic's clients) or `Authorization: Bearer`.
#pragma once

#include "gateway/gateway.h"
#include "http/router.h"

namespace accord {

class MessagesApi {
 public:
  // REQUIRES: `gateway` outlives the router's use.
  explicit MessagesApi(Gateway& gateway) : gateway_(gateway) {}

  void add_routes(Router& router);
  asio::awaitable<void> create(HttpExchange& exchange);

 private:
  Gateway& gateway_;
};

// The client's key as an Authorization header value: "Bearer KEY" from x-api-key when it sent no
// Authorization, else "" (the exchange's own header stands).
std::string anthropic_authorization(const HttpExchange& exchange);

}  // namespace accord
