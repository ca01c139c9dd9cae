// Fuzzes the JSON body reader: chat, completion and embedding bodies, read in place with
// simdjson. Where a body is accepted, the edits the forwarder makes (the model renamed, usage
// asked for on a stream) must leave a body that reads back the same way, with the new model.
#include <cstdint>
#include <string>

#include "core/json_writer.h"
#include "http/exchange.h"
#include "openai/request_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto kind = static_cast<accord::ApiKind>(data[0] % 3);
  std::string body;
  body.reserve(size + accord::kJsonPadding);
  body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto read = accord::read_request_body(body, kind);
  if (!read.ok()) return 0;
  const accord::RequestBody& first = read.value();

  accord::BodyEdit rename{first.model_offset, first.model_length, {}};
  accord::append_json_string(rename.insert, "upstream/\"model\"\n");
  std::vector<const accord::BodyEdit*> edits{&rename};
  if (first.usage_edit) {
    edits.push_back(&*first.usage_edit);
    if (first.usage_edit->offset < rename.offset) std::swap(edits[0], edits[1]);
  }
  std::string edited = accord::apply_edits(body, edits);
  edited.reserve(edited.size() + accord::kJsonPadding);
  auto again = accord::read_request_body(edited, kind);
  if (!again.ok()) __builtin_trap();  // an edit broke a body that was valid
  const accord::RequestBody& second = again.value();
  if (second.model != "upstream/\"model\"\n") __builtin_trap();
  if (second.stream != first.stream || second.n != first.n ||
      second.max_tokens != first.max_tokens || second.prompt_bytes != first.prompt_bytes) {
    __builtin_trap();
  }
  if (first.stream && kind != accord::ApiKind::kEmbedding && !second.include_usage) {
    __builtin_trap();  // the stream must ask for usage after the edit
  }
  return 0;
}
