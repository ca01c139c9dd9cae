// FinalGate: called just before a response's final bytes are written, with its usage. The
// bytes wait for it; `false` means they must not be delivered (the gateway's strict ledger
// could not commit the request's record), and the client gets an error instead.
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "runtime/asio.h"

namespace accord {

class FinalGate {
 public:
  virtual ~FinalGate() = default;
  virtual asio::awaitable<bool> before_final(int64_t prompt_tokens, int64_t completion_tokens,
                                             MonoNanos first_token_at) = 0;
};

}  // namespace accord
