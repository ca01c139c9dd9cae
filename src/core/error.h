// Errors are values on the request path: a stage returns an Error, never throws.
// One table (gateway/error_table.h) maps each kind to its HTTP status and OpenAI error body.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace accord {

enum class ErrorKind : uint8_t {
  kInvalidRequest,     // 400: a field is missing, of the wrong type or out of range
  kInvalidJson,        // 400: the body is not JSON
  kUnauthorized,       // 401: no key, or a key nobody holds
  kForbidden,          // 403: the caller may not do this (an operator endpoint, say)
  kModelNotAvailable,  // 403: the caller's tier may not call the model (yet)
  kModelNotFound,      // 404: no such model, or one the caller may not know of
  kRouteNotFound,      // 404: no such endpoint
  kMethodNotAllowed,   // 405
  kRequestTimeout,     // 408: the client was too slow to send its request
  kPayloadTooLarge,    // 413
  kHeadersTooLarge,    // 431
  kRateLimited,        // 429: a rate or concurrency limit
  kBudgetExceeded,     // 429: a spend budget
  kCapacityExceeded,   // 429: the pool cannot start the request before its deadline
  kPreempted,          // 503: preemptible work stopped to give capacity back
  kUpstreamError,      // 502: the upstream failed or answered nonsense
  kUpstreamTimeout,    // 504
  kUnavailable,        // 503: no healthy endpoint, draining, ledger down
  kInternal,           // 500
};

// Who caused an error: decides whether it counts against the operator's availability.
enum class ErrorSource : uint8_t { kClient, kUpstream, kInternal };

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  ErrorSource source = ErrorSource::kInternal;
  bool retryable = false;
  std::string message;
  std::string param;            // the request field at fault, empty if none
  std::string code;             // overrides the table's code when set
  int64_t retry_after_ms = -1;  // a refusal's retry-after, or -1
  // A limit's refusal: which limit ("rpm", "tpm", "concurrent", "budget") and the scope it was
  // set on ("key", "party", "party_model"); static strings, for metrics. Null otherwise.
  const char* limit = nullptr;
  const char* limit_scope = nullptr;

  static Error client(ErrorKind kind, std::string message, std::string param = {}) {
    return Error{kind, ErrorSource::kClient, false, std::move(message), std::move(param), {}, -1};
  }
  static Error upstream(ErrorKind kind, std::string message, bool retryable) {
    return Error{kind, ErrorSource::kUpstream, retryable, std::move(message), {}, {}, -1};
  }
  static Error internal(ErrorKind kind, std::string message) {
    return Error{kind, ErrorSource::kInternal, false, std::move(message), {}, {}, -1};
  }
};

}  // namespace accord
