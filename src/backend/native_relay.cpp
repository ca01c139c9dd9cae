#include "backend/backend.h"
#include "core/json_writer.h"

namespace accord {

bool relays_natively(const NativeRelay& relay, const Pool& pool) {
  switch (relay.api) {
    case NativeApi::kMessages:
      return pool.provider == UpstreamProvider::kAnthropic;
    case NativeApi::kResponses:
      return pool.native_responses;
  }
  return false;
}

std::string relayed_body(const NativeRelay& relay, std::string_view upstream_model) {
  if (upstream_model.empty()) return std::string(relay.body);
  BodyEdit rename{relay.model_offset, relay.model_length, {}};
  append_json_string(rename.insert, upstream_model);
  return apply_edits(relay.body, {&rename});
}

}  // namespace accord
