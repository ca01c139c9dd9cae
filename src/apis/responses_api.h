// The OpenAI Responses API (POST /v1/responses, GET and DELETE /v1/responses/{id}), served through
// the Chat Completions pipeline: a request is translated to Chat Completions (translate/), runs
// through the gateway with the same entitlements, limits, scheduler, backends and ledger as chat,
// and its answer is translated back, whole or as the Responses event stream. A pool whose
// upstreams serve the Responses API (native_apis: [responses]) gets the request as received
// instead, including what the translation cannot carry (translate/native_only.h).
// With `store` (OpenAI's default), the answer and its conversation are kept in the ResponseStore,
// scoped to the caller's party, so `previous_response_id` continues from it and its party can
// read or delete it. Without a store (ledger: { enabled: false }), nothing is kept and the answer
// says `store: false`; a `previous_response_id` is refused.
// Threads: one instance serves every loop; store calls run on its own worker thread.
#pragma once

#include <memory>

#include "core/clock.h"
#include "gateway/agreement_store.h"
#include "gateway/gateway.h"
#include "http/router.h"
#include "ledger/response_store.h"

namespace accord {

class ResponsesApi {
 public:
  // REQUIRES: everything outlives the router's use. `responses` may be null.
  ResponsesApi(Gateway& gateway, AgreementStore& store, ResponseStore* responses,
               const Clock& clock);
  ~ResponsesApi();
  ResponsesApi(const ResponsesApi&) = delete;
  ResponsesApi& operator=(const ResponsesApi&) = delete;

  void add_routes(Router& router);

  asio::awaitable<void> create(HttpExchange& exchange);
  asio::awaitable<void> retrieve(HttpExchange& exchange, std::string_view id);
  asio::awaitable<void> remove(HttpExchange& exchange, std::string_view id);

 private:
  // Deletes response `id` where pool `pool_name`'s upstreams keep it (a relayed one).
  asio::awaitable<Status> delete_where_kept(std::string_view pool_name, std::string_view id);

  Gateway& gateway_;
  AgreementStore& store_;
  ResponseStore* responses_;
  const Clock& clock_;
  struct Worker;
  std::unique_ptr<Worker> worker_;  // the store's thread
};

}  // namespace accord
