#include "apis/responses_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/thread_pool.hpp>

#include "apis/error_fields.h"
#include "apis/translating_exchange.h"
#include "backend/backend.h"
#include "core/crypto.h"
#include "core/find_bytes.h"
#include "core/json_writer.h"
#include "http/openai_error.h"
#include "openai/request_body.h"
#include "policy/authenticate.h"
#include "runtime/offload.h"
#include "translate/native_only.h"
#include "translate/responses_object.h"
#include "translate/responses_request.h"
#include "translate/responses_response.h"
#include "translate/responses_stream.h"
#include "translate/responses_upstream.h"

namespace accord {

struct ResponsesApi::Worker {
  asio::thread_pool pool{1};
};

namespace {

constexpr std::string_view kPath = "/v1/responses/";

std::string new_response_id() {
  uint8_t bytes[24];
  random_bytes(bytes);
  return "resp_" + to_hex(bytes);
}

Error response_not_found(std::string_view id) {
  return Error::client(ErrorKind::kRouteNotFound,
                       fmt::format("No response found with id '{}'.", id));
}

// A request read, with the conversation it continues.
struct Prepared {
  std::optional<Error> error;  // set: answer it
  ResponsesRequest request;
  std::string history;  // the conversation before it, as Chat messages ("" when none)
  // Set when the previous response was relayed to a pool whose upstreams keep its conversation:
  // that pool's name (the request must be relayed there too).
  std::string only_pool;
  // Set when the request uses what the Chat translation cannot carry: the error that answers it
  // on a pool that would translate it (translate/native_only.h). `request` then holds only the
  // fields read_native_only_request() reads, and `native_chat_body` what the policy stages read.
  std::optional<Error> untranslated;
  std::string native_chat_body;
};

// Reads the body into `p`: translated, or (when only a pool that serves the Responses API itself
// can take it) read for policy alone.
void read_request(Prepared& p, const std::string& body, const ItemLookup& lookup) {
  auto request = read_responses_request(body, lookup);
  if (request.ok()) {
    p.request = std::move(request.value());
    return;
  }
  auto native = only_native_upstreams_take(request.error())
                    ? read_native_only_request(body, "max_output_tokens")
                    : Result<NativeOnlyRequest>(request.error());
  if (!native.ok()) {
    p.error = request.take_error();
    return;
  }
  p.untranslated = request.take_error();
  NativeOnlyRequest& n = native.value();
  p.request.model = std::move(n.model);
  p.request.stream = n.stream;
  p.request.store = n.store;
  p.request.previous_response_id = std::move(n.previous_response_id);
  p.native_chat_body = std::move(n.chat_body);
}

// Reads the body and looks up what it refers to: `item_reference` items and
// `previous_response_id`, in `responses` (may be null). Blocks on the store: off the loops when
// it is used.
Prepared prepare(ResponseStore* responses, const std::string& body, const std::string& party,
                 UnixMillis now) {
  Prepared p;
  ItemLookup lookup;
  if (responses != nullptr) {
    lookup = [responses, &party, now](std::string_view id) -> std::optional<std::string> {
      auto item = responses->get_item(id, party, now);
      if (!item.ok()) return std::nullopt;
      return std::move(item.value());
    };
  }
  read_request(p, body, lookup);
  if (p.error) return p;
  const std::string& previous = p.request.previous_response_id;
  if (previous.empty()) return p;
  if (responses == nullptr) {
    p.error = Error::client(ErrorKind::kInvalidRequest,
                            "previous_response_id needs stored responses, and this gateway "
                            "stores none (its ledger is disabled).",
                            "previous_response_id");
    return p;
  }
  auto found = responses->get(previous, party, now);
  if (!found.ok()) {
    p.error = found.take_error();
  } else if (!found.value()) {
    p.error = Error::client(ErrorKind::kInvalidRequest,
                            fmt::format("Previous response with id '{}' not found.", previous),
                            "previous_response_id");
    p.error->code = "previous_response_not_found";
  } else if (!found.value()->upstream_pool.empty()) {
    p.only_pool = std::move(found.value()->upstream_pool);
  } else {
    p.history = std::move(found.value()->messages_json);
  }
  return p;
}

// The jobs for the store's thread, built outside the coroutines (GCC 12 miscompiles lambdas
// that capture a coroutine's locals by copy).
std::function<Prepared()> prepare_job(ResponseStore* responses, std::string body, std::string party,
                                      UnixMillis now) {
  return [responses, body = std::move(body), party = std::move(party), now] {
    std::string padded = body;
    padded.reserve(padded.size() + kJsonPadding);
    return prepare(responses, padded, party, now);
  };
}

std::function<Status()> put_job(ResponseStore* responses, std::shared_ptr<StoredResponse> r) {
  return [responses, r = std::move(r)] { return responses->put(*r); };
}

std::function<Result<std::optional<StoredResponse>>()> get_job(ResponseStore* responses,
                                                               std::string id, std::string party,
                                                               UnixMillis now) {
  return [responses, id = std::move(id), party = std::move(party), now] {
    return responses->get(id, party, now);
  };
}

std::function<Result<bool>()> remove_job(ResponseStore* responses, std::string id,
                                         std::string party) {
  return [responses, id = std::move(id), party = std::move(party)] {
    return responses->remove(id, party);
  };
}

// Puts `record` in the store on the store's thread; a failure is logged (the answer stands).
asio::awaitable<void> store_off_loop(asio::thread_pool& worker, ResponseStore* responses,
                                     std::shared_ptr<StoredResponse> record) {
  const std::string id = record->id;
  const Status stored = co_await run_off_loop<Status>(worker, put_job(responses, record));
  if (!stored.ok()) {
    spdlog::warn("response {} was answered but not stored: {}", id, stored.error().message);
  }
}

// The Responses side of the translation; keeps the answer in the store before its last bytes.
class ResponsesTranslator final : public AnswerTranslator {
 public:
  ResponsesTranslator(asio::thread_pool& worker, ResponseStore* responses, ResponseMeta meta,
                      std::optional<StoredResponse> draft)
      : worker_(worker),
        responses_(responses),
        stream_(meta),
        meta_(std::move(meta)),
        draft_(std::move(draft)) {}

  Result<std::string> whole(std::string_view chat_json) override {
    auto translated = chat_to_response(chat_json, meta_);
    if (!translated.ok()) return translated.take_error();
    TranslatedResponse& r = translated.value();
    response_json_ = r.body;
    output_messages_ = std::move(r.output_messages_json);
    items_ = std::move(r.output_items);
    return std::move(r.body);
  }
  std::string error(int /*status*/, std::string_view openai_error_json) override {
    return std::string(openai_error_json);  // the Responses API's errors are OpenAI's
  }
  void stream_begin(std::string& out) override { stream_.begin(out); }
  Status stream_chunk(std::string_view chunk, std::string& out) override {
    return stream_.feed(chunk, out);
  }
  void stream_end(std::string& out) override {
    stream_.finish(out);
    response_json_ = stream_.response_json();
    output_messages_ = stream_.output_messages_json();
    items_ = stream_.output_items();
  }
  void stream_fail(std::string_view openai_error_json, std::string& out) override {
    stream_.fail(openai_error_fields(openai_error_json), out);
  }

  asio::awaitable<void> before_final() override {
    if (!draft_ || responses_ == nullptr) co_return;
    auto record = std::make_shared<StoredResponse>(std::move(*draft_));
    draft_.reset();
    record->response_json = std::move(response_json_);
    record->messages_json = concat_message_arrays({record->messages_json, output_messages_});
    for (OutputItem& item : items_) record->items.emplace_back(item.id, std::move(item.json));
    co_await store_off_loop(worker_, responses_, std::move(record));
  }

 private:
  asio::thread_pool& worker_;
  ResponseStore* responses_;
  ResponsesStream stream_;
  ResponseMeta meta_;
  std::optional<StoredResponse> draft_;  // the record to store, but for the answer
  std::string response_json_;
  std::string output_messages_;
  std::vector<OutputItem> items_;
};

// Keeps a Response that a pool's upstreams answered themselves (a relayed request): the Response
// as answered, and which pool keeps its conversation.
class RelayedResponseKeeper final : public RelayKeeper {
 public:
  // `draft`: the record to store but for the answer; nullopt: nothing is stored.
  RelayedResponseKeeper(asio::thread_pool& worker, ResponseStore* responses,
                        std::optional<StoredResponse> draft)
      : worker_(worker), responses_(responses), draft_(std::move(draft)) {}

  asio::awaitable<void> keep(std::string_view answer_json, const Pool& pool) override {
    if (!draft_ || responses_ == nullptr) co_return;
    auto record = std::make_shared<StoredResponse>(std::move(*draft_));
    draft_.reset();
    record->id = read_response_id(answer_json);
    if (record->id.empty()) {
      spdlog::warn("a response relayed to pool {} has no id: not stored", pool.name);
      co_return;
    }
    record->response_json = answer_json;
    record->upstream_pool = pool.name;
    co_await store_off_loop(worker_, responses_, std::move(record));
  }

 private:
  asio::thread_pool& worker_;
  ResponseStore* responses_;
  std::optional<StoredResponse> draft_;
};

// The caller's party, or the error that answers it.
Result<std::string> caller_party(const AgreementStore& store, HttpExchange& exchange,
                                 UnixMillis now) {
  const auto snapshot = store.current();
  auto key = authenticate(*snapshot->keys, exchange.header("authorization"), now);
  if (!key.ok()) return key.take_error();
  return snapshot->agreement->parties[key.value()->party].name;
}

// The caller's party, when `id` may name one of its stored responses; else the error to answer.
Result<std::string> stored_response_owner(const AgreementStore& store,
                                          const ResponseStore* responses, HttpExchange& exchange,
                                          std::string_view id, UnixMillis now) {
  auto party = caller_party(store, exchange, now);
  if (party.ok() &&
      (responses == nullptr || id.empty() || id.find('/') != std::string_view::npos)) {
    return response_not_found(id);
  }
  return party;
}

// What one request keeps while the gateway serves it: its translation, and what a pool that
// serves the Responses API itself gets instead. Built by make_call(), outside the coroutine (GCC
// 12 laid out ResponsesApi::create() with these as its locals wrongly: AddressSanitizer caught a
// write through a wild pointer there).
struct Call {
  Call(HttpExchange& exchange, std::string chat_body, asio::thread_pool& worker,
       ResponseStore* responses, ResponseMeta meta, std::optional<StoredResponse> draft)
      : translator(worker, responses, std::move(meta), std::move(draft)),
        translated(exchange, std::move(chat_body), translator) {}
  const NativeRelay* native() const { return keeper ? &relay : nullptr; }

  ResponsesTranslator translator;
  TranslatingExchange translated;
  std::optional<RelayedResponseKeeper> keeper;  // set: relayable
  NativeRelay relay;
  std::string only_pool;              // relay.only_pool's
  std::optional<Error> untranslated;  // relay.untranslated's
};

Result<std::unique_ptr<Call>> make_call(Prepared& p, HttpExchange& exchange,
                                        asio::thread_pool& worker, ResponseStore* responses,
                                        const std::string& party, UnixMillis now, int64_t ttl_ms) {
  const std::string& body = exchange.body();
  const std::string id = new_response_id();
  std::optional<StoredResponse> draft;
  if (responses != nullptr && p.request.store) {
    StoredResponse& d = draft.emplace();
    d.id = id;
    d.party = party;
    d.created_at = now;
    d.expires_at = now + ttl_ms;
  }
  // A pool whose upstreams serve the Responses API gets the body as received, unless it refers
  // to what only this gateway keeps (a translated response's conversation, its items).
  const auto model = find_model_string(body);
  const bool relayable =
      model && p.history.empty() && find_bytes(body, "item_reference") == std::string_view::npos;
  if (!relayable && p.untranslated) return std::move(*p.untranslated);
  if (!relayable && !p.only_pool.empty()) {
    return Error::client(ErrorKind::kInvalidRequest,
                         "item_reference items cannot be used with a previous_response_id whose "
                         "conversation an upstream keeps: this gateway does not know its items.",
                         "input");
  }
  std::optional<StoredResponse> relayed_draft = draft;
  if (draft) {
    draft->messages_json = concat_message_arrays({p.history, p.request.input_messages_json});
  }
  std::string chat_body =
      p.untranslated ? std::move(p.native_chat_body) : responses_to_chat_body(p.request, p.history);
  auto call =
      std::make_unique<Call>(exchange, std::move(chat_body), worker, responses,
                             make_response_meta(p.request, id, now / 1000), std::move(draft));
  if (relayable) {
    call->keeper.emplace(worker, responses, std::move(relayed_draft));
    call->only_pool = std::move(p.only_pool);
    NativeRelay& relay = call->relay;
    relay.api = NativeApi::kResponses;
    relay.body = body;
    relay.model_offset = model->offset;
    relay.model_length = model->erase;
    relay.client = &exchange;
    relay.keeper = &*call->keeper;
    relay.only_pool = call->only_pool;
    call->untranslated = std::move(p.untranslated);
    if (call->untranslated) relay.untranslated = &*call->untranslated;
  }
  return call;
}

}  // namespace

ResponsesApi::ResponsesApi(Gateway& gateway, AgreementStore& store, ResponseStore* responses,
                           const Clock& clock)
    : gateway_(gateway),
      store_(store),
      responses_(responses),
      clock_(clock),
      worker_(std::make_unique<Worker>()) {}

ResponsesApi::~ResponsesApi() {
  worker_->pool.join();
}

void ResponsesApi::add_routes(Router& router) {
  router.add("POST", "/v1/responses",
             [this](HttpExchange& exchange, std::string_view) { return create(exchange); });
  router.add_prefix("GET", std::string(kPath), [this](HttpExchange& exchange, std::string_view p) {
    return retrieve(exchange, p.substr(kPath.size()));
  });
  router.add_prefix("DELETE", std::string(kPath),
                    [this](HttpExchange& exchange, std::string_view p) {
                      return remove(exchange, p.substr(kPath.size()));
                    });
}

asio::awaitable<void> ResponsesApi::create(HttpExchange& exchange) {
  HeaderLines headers;
  auto party = caller_party(store_, exchange, clock_.wall_now());
  if (!party.ok()) {
    co_await respond_error(exchange, party.error(), headers);
    co_return;
  }
  const UnixMillis now = clock_.wall_now();
  const std::string& body = exchange.body();
  // The store is read off the loop, and only when the request refers to it.
  const bool refers =
      responses_ != nullptr && (find_bytes(body, "item_reference") != std::string_view::npos ||
                                find_bytes(body, "previous_response_id") != std::string_view::npos);
  // (No co_await inside a conditional expression: GCC 12 miscompiles those.)
  std::optional<Prepared> prepared;
  if (refers) {
    prepared = co_await run_off_loop<Prepared>(worker_->pool,
                                               prepare_job(responses_, body, party.value(), now));
  } else {
    prepared = prepare(nullptr, body, party.value(), now);
  }
  Prepared& p = *prepared;
  if (p.error) {
    co_await respond_error(exchange, *p.error, headers);
    co_return;
  }
  auto call = make_call(p, exchange, worker_->pool, responses_, party.value(), now,
                        store_.current()->agreement->ledger.responses_ttl_ms);
  if (!call.ok()) {
    co_await respond_error(exchange, call.error(), headers);
    co_return;
  }
  co_await gateway_.serve(call.value()->translated, ApiKind::kChat, call.value()->native());
}

asio::awaitable<void> ResponsesApi::retrieve(HttpExchange& exchange, std::string_view id) {
  HeaderLines headers;
  auto party = stored_response_owner(store_, responses_, exchange, id, clock_.wall_now());
  if (!party.ok()) {
    co_await respond_error(exchange, party.error(), headers);
    co_return;
  }
  auto found = co_await run_off_loop<Result<std::optional<StoredResponse>>>(
      worker_->pool, get_job(responses_, std::string(id), party.value(), clock_.wall_now()));
  if (!found.ok() || !found.value()) {
    const Error error = found.ok() ? response_not_found(id) : found.error();
    co_await respond_error(exchange, error, headers);
    co_return;
  }
  co_await exchange.respond(200, "application/json", found.value()->response_json, headers);
}

asio::awaitable<void> ResponsesApi::remove(HttpExchange& exchange, std::string_view id) {
  HeaderLines headers;
  auto party = stored_response_owner(store_, responses_, exchange, id, clock_.wall_now());
  if (!party.ok()) {
    co_await respond_error(exchange, party.error(), headers);
    co_return;
  }
  // A relayed response is deleted where its pool's upstreams keep it first: if that fails, accord
  // keeps its copy, so that the client can retry.
  auto found = co_await run_off_loop<Result<std::optional<StoredResponse>>>(
      worker_->pool, get_job(responses_, std::string(id), party.value(), clock_.wall_now()));
  if (found.ok() && found.value() && !found.value()->upstream_pool.empty()) {
    const Status upstream = co_await delete_where_kept(found.value()->upstream_pool, id);
    if (!upstream.ok()) {
      co_await respond_error(exchange, upstream.error(), headers);
      co_return;
    }
  }
  auto removed = co_await run_off_loop<Result<bool>>(
      worker_->pool, remove_job(responses_, std::string(id), party.value()));
  if (!removed.ok() || !removed.value()) {
    const Error error = removed.ok() ? response_not_found(id) : removed.error();
    co_await respond_error(exchange, error, headers);
    co_return;
  }
  std::string out;
  out.append(R"({"id":)");
  append_json_string(out, id);
  out.append(R"(,"object":"response","deleted":true})");
  co_await exchange.respond(200, "application/json", out, headers);
}

asio::awaitable<Status> ResponsesApi::delete_where_kept(std::string_view pool_name,
                                                        std::string_view id) {
  const auto snapshot = store_.current();
  const auto pool = snapshot->agreement->pool_by_name.find(pool_name);
  if (pool == snapshot->agreement->pool_by_name.end()) {
    spdlog::warn(
        "response {} was kept by pool {}, which the agreement no longer has: only "
        "accord's copy is deleted",
        id, pool_name);
    co_return Status();
  }
  Backend& backend = *snapshot->pools[static_cast<size_t>(pool->second)]->backend;
  co_return co_await backend.delete_response(
      snapshot->agreement->pools[static_cast<size_t>(pool->second)], id);
}

}  // namespace accord
