#include "translate/anthropic_stream.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "translate/anthropic_error.h"
#include "translate/anthropic_json.h"

namespace accord {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

struct MessagesStream::State {
  enum class Block : uint8_t { kNone, kText, kTool };

  State(std::string id, std::string model) : id_(std::move(id)), model_(std::move(model)) {}

  void begin(std::string& out);
  Status on_chunk(std::string_view data, std::string& out);
  void finish(std::string& out);
  void fail(const Error& error, std::string& out);

  void event(std::string& out, std::string_view name);  // writes "event: NAME\ndata: "
  void start_block(std::string& out, Block kind, std::string_view tool_id,
                   std::string_view tool_name);
  void stop_block(std::string& out);
  void text(std::string& out, std::string_view text);
  Status tool_call(std::string& out, dom::element call, size_t position);
  void write_end(std::string& out);

  std::string id_;
  std::string model_;
  dom::parser parser_;
  bool started_ = false;
  bool done_ = false;
  Block open_ = Block::kNone;
  int64_t open_index_ = -1;
  int64_t next_index_ = 0;
  std::vector<std::pair<int64_t, int64_t>> tool_blocks_;  // chat tool call index, block index
  std::string finish_reason_;                             // empty until the finish_reason chunk
  std::string stop_sequence_;  // vLLM's choice.stop_reason, when a string
  bool refused_ = false;       // the backend sent a refusal
  aj::ChatUsage usage_;
  bool has_usage_ = false;
};

MessagesStream::MessagesStream(std::string id, std::string model)
    : state_(std::make_unique<State>(std::move(id), std::move(model))) {}
MessagesStream::~MessagesStream() = default;
MessagesStream::MessagesStream(MessagesStream&&) noexcept = default;
MessagesStream& MessagesStream::operator=(MessagesStream&&) noexcept = default;

void MessagesStream::begin(std::string& out) {
  state_->begin(out);
}
Status MessagesStream::on_chunk(std::string_view data, std::string& out) {
  return state_->on_chunk(data, out);
}
void MessagesStream::finish(std::string& out) {
  state_->finish(out);
}
void MessagesStream::fail(const Error& error, std::string& out) {
  state_->fail(error, out);
}
bool MessagesStream::done() const {
  return state_->done_;
}

void MessagesStream::State::event(std::string& out, std::string_view name) {
  out.append("event: ").append(name).append("\ndata: ");
}

void MessagesStream::State::begin(std::string& out) {
  if (started_) return;
  started_ = true;
  event(out, "message_start");
  JsonWriter w(out);
  w.begin_object().field("type", "message_start").key("message").begin_object();
  w.field("id", id_).field("type", "message").field("role", "assistant").field("model", model_);
  w.key("content").begin_array().end_array();
  w.key("stop_reason").null().key("stop_sequence").null();
  w.key("usage").begin_object();
  aj::write_anthropic_usage_fields(w, has_usage_ ? usage_ : aj::ChatUsage{});
  w.end_object().end_object().end_object();
  out.append("\n\n");
  event(out, "ping");
  out.append("{\"type\":\"ping\"}\n\n");
}

void MessagesStream::State::start_block(std::string& out, Block kind, std::string_view tool_id,
                                        std::string_view tool_name) {
  stop_block(out);
  open_ = kind;
  open_index_ = next_index_++;
  event(out, "content_block_start");
  JsonWriter w(out);
  w.begin_object().field("type", "content_block_start").field("index", open_index_);
  w.key("content_block").begin_object();
  if (kind == Block::kText) {
    w.field("type", "text").field("text", "");
  } else {
    w.field("type", "tool_use").field("id", tool_id).field("name", tool_name);
    w.key("input").begin_object().end_object();
  }
  w.end_object().end_object();
  out.append("\n\n");
}

void MessagesStream::State::stop_block(std::string& out) {
  if (open_ == Block::kNone) return;
  event(out, "content_block_stop");
  out.append(fmt::format("{{\"type\":\"content_block_stop\",\"index\":{}}}\n\n", open_index_));
  open_ = Block::kNone;
}

void MessagesStream::State::text(std::string& out, std::string_view text) {
  if (text.empty()) return;
  if (open_ != Block::kText) start_block(out, Block::kText, {}, {});
  event(out, "content_block_delta");
  JsonWriter w(out);
  w.begin_object().field("type", "content_block_delta").field("index", open_index_);
  w.key("delta").begin_object().field("type", "text_delta").field("text", text);
  w.end_object().end_object();
  out.append("\n\n");
}

Status MessagesStream::State::tool_call(std::string& out, dom::element call, size_t position) {
  dom::object c;
  if (call.get_object().get(c)) return aj::bad_upstream("a tool call delta is not an object");
  const int64_t index = aj::int_or(c, "index", static_cast<int64_t>(position));
  dom::object function;
  const bool has_function = !c["function"].get_object().get(function);
  int64_t block = -1;
  for (const auto& [tool, b] : tool_blocks_) {
    if (tool == index) block = b;
  }
  if (block < 0) {
    const std::string fallback_id = fmt::format("toolu_{}_{}", id_, index);
    start_block(out, Block::kTool, aj::string_or(c, "id", fallback_id),
                has_function ? aj::string_or(function, "name", "") : "");
    block = open_index_;
    tool_blocks_.emplace_back(index, block);
  }
  const std::string_view arguments =
      has_function ? aj::string_or(function, "arguments", "") : std::string_view();
  if (arguments.empty()) return Status();
  event(out, "content_block_delta");
  JsonWriter w(out);
  w.begin_object().field("type", "content_block_delta").field("index", block);
  w.key("delta").begin_object().field("type", "input_json_delta");
  w.field("partial_json", arguments).end_object().end_object();
  out.append("\n\n");
  return Status();
}

Status MessagesStream::State::on_chunk(std::string_view data, std::string& out) {
  if (done_) return Status();
  if (data == "[DONE]") {
    finish(out);
    return Status();
  }
  dom::element doc;
  dom::object root;
  if (parser_.parse(data.data(), data.size()).get(doc) || doc.get_object().get(root)) {
    return aj::bad_upstream("a stream chunk is not a JSON object");
  }
  dom::element error;
  if (!root["error"].get(error) && !aj::is_null(error)) {
    std::string_view message;
    if (error["message"].get_string().get(message) && error.get_string().get(message)) {
      message = "the backend failed mid-stream";
    }
    return Error::upstream(ErrorKind::kUpstreamError, std::string(message), false);
  }
  dom::element usage;
  if (!root["usage"].get(usage) && aj::read_chat_usage(usage, usage_)) has_usage_ = true;
  begin(out);
  dom::array choices;
  if (!root["choices"].get_array().get(choices)) {
    for (dom::element ch : choices) {
      dom::object choice;
      if (ch.get_object().get(choice)) return aj::bad_upstream("a choice is not an object");
      if (aj::int_or(choice, "index", 0) != 0) continue;  // accord asks for one choice
      dom::object delta;
      if (!choice["delta"].get_object().get(delta)) {
        text(out, aj::string_or(delta, "content", ""));
        const std::string_view refusal = aj::string_or(delta, "refusal", "");
        text(out, refusal);
        refused_ = refused_ || !refusal.empty();
        dom::array calls;
        if (!delta["tool_calls"].get_array().get(calls)) {
          size_t position = 0;
          for (dom::element call : calls) {
            if (Status st = tool_call(out, call, position++); !st) return st;
          }
        }
      }
      const std::string_view finish = aj::string_or(choice, "finish_reason", "");
      if (!finish.empty()) {
        finish_reason_ = finish;
        stop_sequence_ = aj::string_or(choice, "stop_reason", "");
        stop_block(out);
      }
    }
  }
  if (has_usage_ && !finish_reason_.empty()) write_end(out);
  return Status();
}

void MessagesStream::State::write_end(std::string& out) {
  begin(out);
  stop_block(out);
  const std::string_view finish =
      finish_reason_.empty() ? std::string_view("stop") : std::string_view(finish_reason_);
  const bool by_sequence = finish == "stop" && !stop_sequence_.empty();
  std::string_view stop_reason = aj::anthropic_stop_reason(finish);
  if (refused_ && stop_reason == "end_turn") stop_reason = "refusal";
  event(out, "message_delta");
  JsonWriter w(out);
  w.begin_object().field("type", "message_delta").key("delta").begin_object();
  w.field("stop_reason", by_sequence ? "stop_sequence" : stop_reason);
  w.key("stop_sequence");
  if (by_sequence) {
    w.value(stop_sequence_);
  } else {
    w.null();
  }
  w.end_object().key("usage").begin_object();
  if (has_usage_) {
    aj::write_anthropic_usage_fields(w, usage_);
  } else {
    w.field("output_tokens", int64_t{0});
  }
  w.end_object().end_object();
  out.append("\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  done_ = true;
}

void MessagesStream::State::finish(std::string& out) {
  if (!done_) write_end(out);
}

void MessagesStream::State::fail(const Error& error, std::string& out) {
  if (done_) return;
  out.append(anthropic_error_event(error));
  open_ = Block::kNone;
  done_ = true;
}

}  // namespace accord
