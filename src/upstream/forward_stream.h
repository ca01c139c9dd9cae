// The streamed half of forward_to_upstream() (upstream/forwarder.h): relaying an upstream's event
// stream to the client as it arrives. Nothing else includes this.
//   relay_stream         OpenAI events (translated first, for a translating upstream), whose usage
//                        chunk accord keeps unless the client asked for it; the end is [DONE]
//   relay_native_stream  the upstream's own API's events (a Messages or Responses relay), byte for
//                        byte, read through the translator for the usage and the stream's end
// Both wait for the run's gate (a strict ledger's commit) before the stream's last event, end the
// stream with an error event (in the client's API) when the upstream fails or ends early, and
// record the endpoint's success or failure.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "http/client.h"
#include "http/exchange.h"
#include "runtime/backend_run.h"
#include "upstream/endpoint_set.h"
#include "upstream/forwarder.h"

namespace accord::forward_detail {

// REQUIRES: `response` is a 2xx answer whose body is an event stream; nothing was written to
// `exchange` yet.
asio::awaitable<void> relay_stream(EndpointSet& endpoints, int e, ClientResponse& response,
                                   HttpExchange& exchange, const ForwardRequest& request,
                                   const HeaderLines& headers, const Clock& clock,
                                   const RunControl& control, RunOutcome& outcome);
// REQUIRES: as relay_stream's, and request.relay_answers (so request.translator is set).
asio::awaitable<void> relay_native_stream(EndpointSet& endpoints, int e, ClientResponse& response,
                                          HttpExchange& exchange, const ForwardRequest& request,
                                          const HeaderLines& headers, const Clock& clock,
                                          const RunControl& control, RunOutcome& outcome);

}  // namespace accord::forward_detail
