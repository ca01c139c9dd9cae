#include "translate/responses_object.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "translate/responses_request.h"

namespace accord {

ResponseMeta make_response_meta(const ResponsesRequest& request, std::string id,
                                int64_t created_at) {
  return ResponseMeta{
      std::move(id),    created_at, request.model, request.service_tier, request.include_logprobs,
      request.echo_json};
}

namespace {

void write_usage(JsonWriter& w, const ResponseUsage& usage) {
  w.begin_object();
  w.field("input_tokens", usage.input_tokens);
  w.key("input_tokens_details").begin_object();
  w.field("cached_tokens", usage.cached_tokens).end_object();
  w.field("output_tokens", usage.output_tokens);
  w.key("output_tokens_details").begin_object();
  w.field("reasoning_tokens", usage.reasoning_tokens).end_object();
  w.field("total_tokens", usage.total_tokens);
  w.end_object();
}

}  // namespace

void write_error_event_members(JsonWriter& w, const ResponseError& error) {
  auto nullable = [&](std::string_view key, std::string_view v) {
    w.key(key);
    if (v.empty()) {
      w.null();
    } else {
      w.value(v);
    }
  };
  nullable("code", error.code);
  w.field("message", error.message);
  nullable("param", error.param);
  w.key("error").begin_object().field("type", error.type);
  nullable("code", error.code);
  w.field("message", error.message);
  nullable("param", error.param);
  w.end_object();
}

void append_response(std::string& out, const ResponseMeta& meta, const ResponseState& state) {
  JsonWriter w(out);
  w.begin_object();
  w.field("id", meta.id).field("object", "response").field("created_at", meta.created_at);
  w.field("status", state.status);
  w.key("error");
  if (state.error != nullptr) {
    // The Response's error always names a code.
    std::string_view code = state.error->code;
    if (code.empty()) code = "server_error";
    w.begin_object().field("code", code).field("message", state.error->message).end_object();
  } else {
    w.null();
  }
  w.key("incomplete_details");
  if (!state.incomplete_reason.empty()) {
    w.begin_object().field("reason", state.incomplete_reason).end_object();
  } else {
    w.null();
  }
  w.field("model", meta.model);
  w.key("output").raw(state.output_json);
  w.key("usage");
  if (state.usage != nullptr) {
    write_usage(w, *state.usage);
  } else {
    w.null();
  }
  std::string_view tier = state.service_tier;
  if (tier.empty()) tier = meta.service_tier;
  if (tier.empty()) tier = "auto";
  w.field("service_tier", tier);
  if (!meta.echo_json.empty()) {
    out.push_back(',');
    out.append(meta.echo_json);
  }
  w.end_object();
}

std::string output_item_id(const ResponseMeta& meta, std::string_view prefix, int64_t n) {
  std::string_view suffix = meta.id;
  if (suffix.starts_with("resp_")) suffix.remove_prefix(5);
  return fmt::format("{}_{}_{}", prefix, suffix, n);
}

void append_output_part(std::string& out, const OutputPart& part) {
  JsonWriter w(out);
  w.begin_object();
  if (part.refusal) {
    w.field("type", "refusal").field("refusal", part.text);
  } else {
    w.field("type", "output_text").key("annotations").raw("[]");
    w.key("logprobs").raw("[" + part.logprobs_json + "]");
    w.field("text", part.text);
  }
  w.end_object();
}

void append_message_item(std::string& out, std::string_view id, std::string_view status,
                         const std::vector<OutputPart>& parts) {
  JsonWriter w(out);
  w.begin_object().field("id", id).field("type", "message").field("status", status);
  w.key("content").begin_array();
  for (const OutputPart& part : parts) {
    std::string part_json;
    append_output_part(part_json, part);
    w.raw(part_json);
  }
  w.end_array().field("role", "assistant").end_object();
}

void append_function_call_item(std::string& out, std::string_view id, std::string_view status,
                               std::string_view call_id, std::string_view name,
                               std::string_view arguments) {
  JsonWriter w(out);
  w.begin_object().field("id", id).field("type", "function_call").field("status", status);
  w.field("arguments", arguments).field("call_id", call_id).field("name", name).end_object();
}

std::string assistant_messages_json(std::string_view text, std::string_view refusal,
                                    const std::vector<AnsweredToolCall>& tool_calls) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().begin_object().field("role", "assistant").key("content");
  if (text.empty() && (!tool_calls.empty() || !refusal.empty())) {
    w.null();
  } else {
    w.value(text);
  }
  if (!refusal.empty()) w.field("refusal", refusal);
  if (!tool_calls.empty()) {
    w.key("tool_calls").begin_array();
    for (const AnsweredToolCall& call : tool_calls) {
      w.begin_object().field("id", call.call_id).field("type", "function").key("function");
      w.begin_object().field("name", call.name).field("arguments", call.arguments);
      w.end_object().end_object();
    }
    w.end_array();
  }
  w.end_object().end_array();
  return out;
}

}  // namespace accord
