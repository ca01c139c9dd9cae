// Fuzzes the Responses API translation. The input is read as a Responses body (item references
// resolved from a small store); where it is accepted, the Chat body, the echo and the input
// messages written from it must be JSON. The same bytes are then read as a whole Chat Completion
// and, line by line, as a stream of Chat chunks: each must give JSON or an error value, and the
// stream's output must be well-framed events whose data is JSON, whatever the chunks held.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "translate/responses_request.h"
#include "translate/responses_response.h"
#include "translate/responses_stream.h"

namespace {

bool is_json(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  return !parser.parse(json.data(), json.size()).get(root);
}

// "event: NAME\ndata: JSON\n\n", repeated.
bool well_framed(std::string_view sse) {
  while (!sse.empty()) {
    const size_t end = sse.find("\n\n");
    if (end == std::string_view::npos || !sse.starts_with("event: ")) return false;
    const std::string_view block = sse.substr(0, end);
    const size_t data = block.find("\ndata: ");
    if (data == std::string_view::npos || !is_json(block.substr(data + 7))) return false;
    sse.remove_prefix(end + 2);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const accord::ItemLookup lookup = [](std::string_view id) -> std::optional<std::string> {
    if (id == "msg_1") return R"({"type":"message","role":"assistant","content":"hi"})";
    if (id == "fc_1") {
      return R"({"type":"function_call","call_id":"c","name":"f","arguments":"{}"})";
    }
    if (id == "ref") return R"({"type":"item_reference","id":"ref"})";
    if (id == "bad") return std::string("{");
    return std::nullopt;
  };

  accord::ResponseMeta meta;
  meta.id = "resp_fuzz";
  meta.model = "m";
  auto read = accord::read_responses_request(input, lookup);
  if (read.ok()) {
    const accord::ResponsesRequest& request = read.value();
    const std::string body =
        accord::responses_to_chat_body(request, R"([{"role":"user","content":"before"}])");
    if (!is_json(body)) __builtin_trap();
    if (!is_json(request.input_messages_json)) __builtin_trap();
    if (!is_json("{" + request.echo_json + "}")) __builtin_trap();
    meta = accord::make_response_meta(request, "resp_fuzz", 1);
  }

  auto whole = accord::chat_to_response(input, meta);
  if (whole.ok() && (!is_json(whole->body) || !is_json(whole->output_messages_json))) {
    __builtin_trap();
  }

  accord::ResponsesStream stream(meta);
  std::string out;
  std::string_view rest = input;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    const std::string_view chunk = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (accord::Status s = stream.feed(chunk, out); !s) {
      // (translate/responses_error.h maps Errors through http/, which the fuzzers leave out.)
      stream.fail({"server_error", "upstream_error", s.error().message, s.error().param}, out);
      break;
    }
  }
  stream.finish(out);
  if (!stream.done() || !well_framed(out) || !is_json(stream.response_json())) __builtin_trap();
  for (const accord::OutputItem& item : stream.output_items()) {
    if (!is_json(item.json)) __builtin_trap();
  }
  return 0;
}
