#include "translate/responses_stream.h"

#include <algorithm>

#include "core/json_writer.h"
#include "translate/responses_internal.h"

namespace accord {

using namespace responses_detail;  // NOLINT(google-build-using-namespace)

namespace {

Error bad_chunk(std::string_view why) {
  return Error::upstream(ErrorKind::kUpstreamError,
                         std::string("The upstream's stream chunk ") + std::string(why), false);
}

std::string empty_part_json(bool refusal) {
  std::string out;
  append_output_part(out, OutputPart{refusal, {}, {}});
  return out;
}

}  // namespace

template <class Members>
void ResponsesStream::event(std::string& out, std::string_view type, Members&& members) {
  out.append("event: ").append(type).append("\ndata: ");
  JsonWriter w(out);
  w.begin_object().field("type", type).field("sequence_number", sequence_++);
  members(w);
  w.end_object();
  out.append("\n\n");
}

void ResponsesStream::begin(std::string& out) {
  if (began_) return;
  began_ = true;
  std::string response;
  append_response(response, meta_, ResponseState{});
  event(out, "response.created", [&](JsonWriter& w) { w.key("response").raw(response); });
  event(out, "response.in_progress", [&](JsonWriter& w) { w.key("response").raw(response); });
}

Status ResponsesStream::feed(std::string_view chunk_json, std::string& out) {
  if (done_) return Status();
  thread_local dom::parser parser;
  dom::element root_element;
  dom::object root;
  if (parser.parse(chunk_json.data(), chunk_json.size()).get(root_element)) {
    return bad_chunk("is not valid JSON.");
  }
  if (root_element.get_object().get(root)) return bad_chunk("is not a JSON object.");
  if (std::optional<Error> error = upstream_error_in(root)) return std::move(*error);
  begin(out);
  dom::element usage;
  if (!root["usage"].get(usage) && !is_null(usage)) usage_ = read_chat_usage(usage);
  std::string_view s;
  if (!root["service_tier"].get_string().get(s)) service_tier_ = s;
  dom::array choices;
  if (root["choices"].get_array().get(choices)) return Status();
  for (dom::element choice : choices) {
    int64_t index = 0;
    if (!choice["index"].get_int64().get(index) && index != 0) continue;
    dom::object delta;
    if (!choice["delta"].get_object().get(delta)) {
      std::string logprobs;
      dom::array content_logprobs;
      if (meta_.include_logprobs &&
          !choice["logprobs"]["content"].get_array().get(content_logprobs)) {
        logprobs = array_items(raw_json(content_logprobs));
      }
      if (!delta["content"].get_string().get(s)) text_delta(s, false, logprobs, out);
      if (!delta["refusal"].get_string().get(s)) text_delta(s, true, {}, out);
      dom::array tool_calls;
      if (!delta["tool_calls"].get_array().get(tool_calls)) {
        for (dom::element call : tool_calls) {
          ToolCallDelta d;
          read_into(call["index"].get_int64(), d.index);
          read_into(call["id"].get_string(), d.id);
          read_into(call["function"]["name"].get_string(), d.name);
          read_into(call["function"]["arguments"].get_string(), d.arguments);
          tool_call_delta(d, out);
        }
      }
    }
    if (!choice["finish_reason"].get_string().get(s)) finish_reason_ = s;
  }
  return Status();
}

void ResponsesStream::text_delta(std::string_view delta, bool refusal, std::string_view logprobs,
                                 std::string& out) {
  if (delta.empty()) return;
  if (!message_.open) open_message(out);
  if (!message_.part_open || message_.parts.back().refusal != refusal) {
    if (message_.part_open) close_part(out);
    open_part(refusal, out);
  }
  OutputPart& part = message_.parts.back();
  part.text.append(delta);
  (refusal ? refusal_ : text_).append(delta);
  if (!logprobs.empty()) {
    if (!part.logprobs_json.empty()) part.logprobs_json.push_back(',');
    part.logprobs_json.append(logprobs);
  }
  const int64_t content_index = static_cast<int64_t>(message_.parts.size()) - 1;
  event(out, refusal ? "response.refusal.delta" : "response.output_text.delta", [&](JsonWriter& w) {
    w.field("item_id", message_.id).field("output_index", message_.output_index);
    w.field("content_index", content_index).field("delta", delta);
    if (!refusal) w.key("logprobs").raw(std::string("[").append(logprobs).append("]"));
  });
}

void ResponsesStream::open_message(std::string& out) {
  message_ = MessageItem{};
  message_.open = true;
  message_.output_index = next_output_index_++;
  message_.id = output_item_id(meta_, "msg", message_.output_index);
  std::string item;
  append_message_item(item, message_.id, "in_progress", {});
  event(out, "response.output_item.added", [&](JsonWriter& w) {
    w.field("output_index", message_.output_index).key("item").raw(item);
  });
}

void ResponsesStream::open_part(bool refusal, std::string& out) {
  message_.parts.push_back(OutputPart{refusal, {}, {}});
  message_.part_open = true;
  const int64_t content_index = static_cast<int64_t>(message_.parts.size()) - 1;
  event(out, "response.content_part.added", [&](JsonWriter& w) {
    w.field("item_id", message_.id).field("output_index", message_.output_index);
    w.field("content_index", content_index).key("part").raw(empty_part_json(refusal));
  });
}

void ResponsesStream::close_part(std::string& out) {
  message_.part_open = false;
  const OutputPart& part = message_.parts.back();
  const int64_t content_index = static_cast<int64_t>(message_.parts.size()) - 1;
  auto where = [&](JsonWriter& w) {
    w.field("item_id", message_.id).field("output_index", message_.output_index);
    w.field("content_index", content_index);
  };
  if (part.refusal) {
    event(out, "response.refusal.done", [&](JsonWriter& w) {
      where(w);
      w.field("refusal", part.text);
    });
  } else {
    event(out, "response.output_text.done", [&](JsonWriter& w) {
      where(w);
      w.key("logprobs").raw("[" + part.logprobs_json + "]").field("text", part.text);
    });
  }
  std::string part_json;
  append_output_part(part_json, part);
  event(out, "response.content_part.done", [&](JsonWriter& w) {
    where(w);
    w.key("part").raw(part_json);
  });
}

void ResponsesStream::close_message(std::string_view status, std::string& out) {
  if (message_.part_open) close_part(out);
  std::string item;
  append_message_item(item, message_.id, status, message_.parts);
  event(out, "response.output_item.done", [&](JsonWriter& w) {
    w.field("output_index", message_.output_index).key("item").raw(item);
  });
  record_item(message_.output_index, message_.id, std::move(item));
  message_ = MessageItem{};
}

void ResponsesStream::tool_call_delta(const ToolCallDelta& delta, std::string& out) {
  ToolCall* call = nullptr;
  int64_t index = delta.index;
  if (index < 0) {
    // No index: a new call when it brings an id of its own, else more of the last one.
    const bool same = !calls_.empty() && (delta.id.empty() || delta.id == calls_.back().call_id);
    index = same ? calls_.back().chat_index : static_cast<int64_t>(calls_.size());
  }
  for (ToolCall& c : calls_) {
    if (c.chat_index == index) call = &c;
  }
  if (call == nullptr) {
    calls_.push_back(ToolCall{});
    call = &calls_.back();
    call->chat_index = index;
  }
  if (call->closed) return;
  if (call->call_id.empty()) call->call_id = delta.id;
  if (call->name.empty()) call->name = delta.name;  // some backends repeat it in every delta
  call->arguments.append(delta.arguments);
  if (call->output_index < 0) {
    if (!call->name.empty()) announce(*call, out);
    return;
  }
  if (delta.arguments.empty()) return;
  event(out, "response.function_call_arguments.delta", [&](JsonWriter& w) {
    w.field("item_id", call->id).field("output_index", call->output_index);
    w.field("delta", delta.arguments);
  });
}

void ResponsesStream::announce(ToolCall& call, std::string& out) {
  if (message_.open) close_message("completed", out);
  call.output_index = next_output_index_++;
  call.id = output_item_id(meta_, "fc", call.output_index);
  if (call.call_id.empty()) call.call_id = output_item_id(meta_, "call", call.output_index);
  std::string item;
  append_function_call_item(item, call.id, "in_progress", call.call_id, call.name, "");
  event(out, "response.output_item.added",
        [&](JsonWriter& w) { w.field("output_index", call.output_index).key("item").raw(item); });
  if (call.arguments.empty()) return;
  event(out, "response.function_call_arguments.delta", [&](JsonWriter& w) {
    w.field("item_id", call.id).field("output_index", call.output_index);
    w.field("delta", call.arguments);
  });
}

void ResponsesStream::close_call(ToolCall& call, std::string_view status, std::string& out) {
  call.closed = true;
  event(out, "response.function_call_arguments.done", [&](JsonWriter& w) {
    w.field("item_id", call.id).field("output_index", call.output_index);
    w.field("name", call.name).field("arguments", call.arguments);
  });
  std::string item;
  append_function_call_item(item, call.id, status, call.call_id, call.name, call.arguments);
  event(out, "response.output_item.done",
        [&](JsonWriter& w) { w.field("output_index", call.output_index).key("item").raw(item); });
  record_item(call.output_index, call.id, std::move(item));
}

void ResponsesStream::record_item(int64_t output_index, std::string id, std::string json) {
  finished_.emplace_back(output_index, output_items_.size());
  output_items_.push_back({std::move(id), std::move(json)});
}

std::string ResponsesStream::output_json() const {
  std::vector<std::pair<int64_t, size_t>> order = finished_;
  std::sort(order.begin(), order.end());
  std::string out = "[";
  for (const auto& [output_index, position] : order) {
    if (out.size() > 1) out.push_back(',');
    out.append(output_items_[position].json);
  }
  out.push_back(']');
  return out;
}

void ResponsesStream::finish(std::string& out) {
  if (done_) return;
  begin(out);
  std::string_view reason;
  if (finish_reason_ == "length") reason = "max_output_tokens";
  if (finish_reason_ == "content_filter") reason = "content_filter";
  incomplete_ = !reason.empty();
  const std::string_view status = incomplete_ ? "incomplete" : "completed";

  for (ToolCall& call : calls_) {
    if (call.output_index < 0) announce(call, out);  // a call whose name never came
  }
  if (next_output_index_ == 0) {  // an empty answer is still one (empty) message
    open_message(out);
    open_part(false, out);
  }
  // Close what is open in output order: the message, if open, comes after the calls before it.
  std::vector<std::pair<int64_t, ToolCall*>> open;
  for (ToolCall& call : calls_) {
    if (!call.closed) open.emplace_back(call.output_index, &call);
  }
  if (message_.open) open.emplace_back(message_.output_index, nullptr);
  std::sort(open.begin(), open.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [output_index, call] : open) {
    if (call == nullptr) {
      close_message(status, out);
    } else {
      close_call(*call, status, out);
    }
  }

  const std::string output = output_json();
  ResponseState state;
  state.status = status;
  state.incomplete_reason = reason;
  state.output_json = output;
  state.usage = &usage_;
  state.service_tier = service_tier_;
  append_response(response_json_, meta_, state);
  event(out, incomplete_ ? "response.incomplete" : "response.completed",
        [&](JsonWriter& w) { w.key("response").raw(response_json_); });

  std::vector<AnsweredToolCall> answered;
  for (const ToolCall& call : calls_) answered.push_back({call.call_id, call.name, call.arguments});
  output_messages_json_ = assistant_messages_json(text_, refusal_, answered);
  done_ = true;
}

void ResponsesStream::fail(const ResponseError& error, std::string& out) {
  if (done_) return;
  begin(out);
  done_ = true;
  event(out, "error", [&](JsonWriter& w) { write_error_event_members(w, error); });
  const std::string output = output_json();
  ResponseState state;
  state.status = "failed";
  state.output_json = output;
  state.usage = usage_.reported ? &usage_ : nullptr;
  state.error = &error;
  state.service_tier = service_tier_;
  append_response(response_json_, meta_, state);
  event(out, "response.failed", [&](JsonWriter& w) { w.key("response").raw(response_json_); });
}

}  // namespace accord
