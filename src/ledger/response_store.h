// ResponseStore: the responses the Responses API stored (`store: true`, its default), kept so a
// later request can continue from one (`previous_response_id`) and its party can read or delete
// it (GET/DELETE /v1/responses/{id}). Each belongs to the party that made it: another party's id
// is not found. Each expires after the ledger's `responses_ttl_days`.
// Behind an interface so it can move with the ledger (to PostgreSQL); the SQLite one lives in the
// ledger's database file, in its own table. Thread-safe; its calls block, so the gateway makes
// them off the event loops.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace accord {

struct StoredResponse {
  std::string id;  // "resp_…"
  std::string party;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;
  std::string response_json;  // the Response object as it was answered
  std::string messages_json;  // the conversation up to and including it, as Chat messages
  // Set for a response relayed to a pool whose upstreams serve the Responses API (native_apis):
  // that pool's name. Its conversation is kept by those upstreams, not here (messages_json is
  // empty), so only that pool can continue it.
  std::string upstream_pool;
  // Its output items by id ("msg_…", "fc_…"), for the `item_reference` input items of later
  // requests. Written with the response; read one by one.
  std::vector<std::pair<std::string, std::string>> items;
};

class ResponseStore {
 public:
  virtual ~ResponseStore() = default;
  virtual Status put(const StoredResponse& response) = 0;
  // nullopt: no such response for this party, or it has expired.
  virtual Result<std::optional<StoredResponse>> get(std::string_view id, std::string_view party,
                                                    UnixMillis now) = 0;
  // An output item of one of the party's responses that has not expired: its JSON.
  virtual Result<std::optional<std::string>> get_item(std::string_view item_id,
                                                      std::string_view party, UnixMillis now) = 0;
  // False: there was none to delete. Its items go with it.
  virtual Result<bool> remove(std::string_view id, std::string_view party) = 0;
};

// Opens (and creates) the responses table in the SQLite database at `path`.
Result<std::unique_ptr<ResponseStore>> open_sqlite_response_store(const std::string& path);

}  // namespace accord
