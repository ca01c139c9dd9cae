#include "translate/anthropic_upstream_response.h"

#include <simdjson.h>

#include <vector>

#include "core/json_writer.h"
#include "translate/anthropic_error.h"
#include "translate/anthropic_json.h"

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

std::string_view chat_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";
}

struct MessageUsage {
  int64_t input = 0, output = 0, cache_read = 0, cache_creation = 0;
};

void write_chat_usage(JsonWriter& w, const MessageUsage& u) {
  const int64_t prompt = u.input + u.cache_read + u.cache_creation;
  w.key("usage").begin_object().field("prompt_tokens", prompt);
  w.field("completion_tokens", u.output).field("total_tokens", prompt + u.output);
  w.key("prompt_tokens_details").begin_object().field("cached_tokens", u.cache_read);
  w.end_object().end_object();
}

// A Message or an error event: an error body as the Error it describes.
Result<dom::object> read_event(dom::parser& parser, std::string_view json) {
  dom::element doc;
  dom::object root;
  if (parser.parse(json.data(), json.size()).get(doc) || doc.get_object().get(root)) {
    return aj::bad_upstream("not a JSON object");
  }
  if (aj::string_or(root, "type", "") == "error") return error_from_anthropic(json, 0);
  return root;
}

}  // namespace

Result<std::string> message_to_chat(std::string_view message_json, std::string_view id,
                                    std::string_view model, int64_t created) {
  dom::parser parser;
  auto root = read_event(parser, message_json);
  if (!root) return root.take_error();
  dom::array content;
  if ((*root)["content"].get_array().get(content)) return aj::bad_upstream("no content");
  std::string text;
  std::string calls_json;
  JsonWriter calls(calls_json);
  calls.begin_array();
  bool has_calls = false;
  for (dom::element b : content) {
    dom::object block;
    if (b.get_object().get(block)) return aj::bad_upstream("a content block is not an object");
    const std::string_view type = aj::string_or(block, "type", "");
    if (type == "text") {
      text += aj::string_or(block, "text", "");
    } else if (type == "tool_use") {
      dom::element input;
      std::string arguments = "{}";
      if (!block["input"].get(input)) arguments = simdjson::minify(input);
      calls.begin_object().field("id", aj::string_or(block, "id", "")).field("type", "function");
      calls.key("function").begin_object().field("name", aj::string_or(block, "name", ""));
      calls.field("arguments", arguments).end_object().end_object();
      has_calls = true;
    }
  }
  calls.end_array();
  MessageUsage usage;
  dom::object u;
  if (!(*root)["usage"].get_object().get(u)) {
    usage = {aj::int_or(u, "input_tokens", 0), aj::int_or(u, "output_tokens", 0),
             aj::int_or(u, "cache_read_input_tokens", 0),
             aj::int_or(u, "cache_creation_input_tokens", 0)};
  }

  std::string out;
  out.reserve(message_json.size() + 256);
  JsonWriter w(out);
  w.begin_object().field("id", id).field("object", "chat.completion").field("created", created);
  w.field("model", model).key("choices").begin_array().begin_object().field("index", 0);
  w.key("message").begin_object().field("role", "assistant").key("content");
  if (text.empty() && has_calls) {
    w.null();
  } else {
    w.value(text);
  }
  if (has_calls) w.key("tool_calls").raw(calls_json);
  w.end_object().key("logprobs").null();
  w.field("finish_reason", chat_finish_reason(aj::string_or(*root, "stop_reason", "end_turn")));
  w.end_object().end_array();
  write_chat_usage(w, usage);
  w.end_object();
  return out;
}

struct ChatFromMessagesStream::State {
  State(std::string id, std::string model, int64_t created)
      : id_(std::move(id)), model_(std::move(model)), created_(created) {}

  Status on_event(std::string_view data, std::string& out);
  // Appends one chunk; `delta` writes the delta's fields into a JsonWriter.
  template <class WriteDelta>
  void chunk(std::string& out, std::string_view finish_reason, const WriteDelta& delta);
  Status block_start(std::string& out, dom::object event);
  Status block_delta(std::string& out, dom::object event);
  void read_usage(dom::element usage);

  std::string id_;
  std::string model_;
  int64_t created_;
  dom::parser parser_;
  bool started_ = false;
  bool done_ = false;
  // Anthropic's block index of each tool call; a call's chat index is its position here.
  std::vector<int64_t> tool_blocks_;
  int64_t input_tokens_ = 0;  // usage, as message_start and message_delta report it
  int64_t output_tokens_ = 0;
  int64_t cache_read_ = 0;
  int64_t cache_creation_ = 0;
};

ChatFromMessagesStream::ChatFromMessagesStream(std::string id, std::string model, int64_t created)
    : state_(std::make_unique<State>(std::move(id), std::move(model), created)) {}
ChatFromMessagesStream::~ChatFromMessagesStream() = default;
ChatFromMessagesStream::ChatFromMessagesStream(ChatFromMessagesStream&&) noexcept = default;
ChatFromMessagesStream& ChatFromMessagesStream::operator=(ChatFromMessagesStream&&) noexcept =
    default;

Status ChatFromMessagesStream::on_event(std::string_view data, std::string& out) {
  return state_->on_event(data, out);
}
bool ChatFromMessagesStream::done() const {
  return state_->done_;
}

template <class WriteDelta>
void ChatFromMessagesStream::State::chunk(std::string& out, std::string_view finish_reason,
                                          const WriteDelta& delta) {
  out.append("data: ");
  JsonWriter w(out);
  w.begin_object().field("id", id_).field("object", "chat.completion.chunk");
  w.field("created", created_).field("model", model_).key("choices").begin_array();
  w.begin_object().field("index", 0).key("delta").begin_object();
  delta(w);
  w.end_object().key("logprobs").null().key("finish_reason");
  if (finish_reason.empty()) {
    w.null();
  } else {
    w.value(finish_reason);
  }
  w.end_object().end_array().end_object();
  out.append("\n\n");
}

void ChatFromMessagesStream::State::read_usage(dom::element usage) {
  dom::object u;
  if (usage.get_object().get(u)) return;
  input_tokens_ = aj::int_or(u, "input_tokens", input_tokens_);
  output_tokens_ = aj::int_or(u, "output_tokens", output_tokens_);
  cache_read_ = aj::int_or(u, "cache_read_input_tokens", cache_read_);
  cache_creation_ = aj::int_or(u, "cache_creation_input_tokens", cache_creation_);
}

Status ChatFromMessagesStream::State::block_start(std::string& out, dom::object event) {
  dom::object block;
  if (event["content_block"].get_object().get(block)) {
    return aj::bad_upstream("content_block_start without a block");
  }
  const std::string_view type = aj::string_or(block, "type", "");
  if (type == "text") {
    const std::string_view text = aj::string_or(block, "text", "");
    if (!text.empty()) chunk(out, {}, [&](JsonWriter& w) { w.field("content", text); });
  } else if (type == "tool_use") {
    const auto index = static_cast<int64_t>(tool_blocks_.size());
    tool_blocks_.push_back(aj::int_or(event, "index", -1));
    std::string arguments;
    dom::object input;
    if (!block["input"].get_object().get(input) && input.size() > 0) {
      arguments = simdjson::minify(input);
    }
    chunk(out, {}, [&](JsonWriter& w) {
      w.key("tool_calls").begin_array().begin_object().field("index", index);
      w.field("id", aj::string_or(block, "id", "")).field("type", "function");
      w.key("function").begin_object().field("name", aj::string_or(block, "name", ""));
      w.field("arguments", arguments).end_object().end_object().end_array();
    });
  }
  return Status();
}

Status ChatFromMessagesStream::State::block_delta(std::string& out, dom::object event) {
  dom::object delta;
  if (event["delta"].get_object().get(delta)) {
    return aj::bad_upstream("content_block_delta without a delta");
  }
  const std::string_view type = aj::string_or(delta, "type", "");
  if (type == "text_delta") {
    const std::string_view text = aj::string_or(delta, "text", "");
    if (!text.empty()) chunk(out, {}, [&](JsonWriter& w) { w.field("content", text); });
  } else if (type == "input_json_delta") {
    const std::string_view partial = aj::string_or(delta, "partial_json", "");
    const int64_t block = aj::int_or(event, "index", -1);
    int64_t index = -1;
    for (size_t i = 0; i < tool_blocks_.size(); ++i) {
      if (tool_blocks_[i] == block) index = static_cast<int64_t>(i);
    }
    if (index < 0 || partial.empty()) return Status();  // a server tool's input: not ours
    chunk(out, {}, [&](JsonWriter& w) {
      w.key("tool_calls").begin_array().begin_object().field("index", index);
      w.key("function").begin_object().field("arguments", partial);
      w.end_object().end_object().end_array();
    });
  }
  return Status();
}

Status ChatFromMessagesStream::State::on_event(std::string_view data, std::string& out) {
  if (done_) return Status();
  auto event = read_event(parser_, data);
  if (!event) return event.take_error();
  const std::string_view type = aj::string_or(*event, "type", "");
  if (type == "message_start") {
    dom::element usage;
    if (!(*event)["message"]["usage"].get(usage)) read_usage(usage);
    if (!started_) chunk(out, {}, [](JsonWriter& w) { w.field("role", "assistant"); });
    started_ = true;
    return Status();
  }
  if (!started_) return aj::bad_upstream("the stream did not begin with message_start");
  if (type == "content_block_start") return block_start(out, *event);
  if (type == "content_block_delta") return block_delta(out, *event);
  if (type == "message_delta") {
    dom::element usage;
    if (!(*event)["usage"].get(usage)) read_usage(usage);
    std::string_view stop_reason;
    if ((*event)["delta"]["stop_reason"].get_string().get(stop_reason)) return Status();
    chunk(out, chat_finish_reason(stop_reason), [](JsonWriter&) {});
  } else if (type == "message_stop") {
    out.append("data: ");
    JsonWriter w(out);
    w.begin_object().field("id", id_).field("object", "chat.completion.chunk");
    w.field("created", created_).field("model", model_).key("choices").begin_array().end_array();
    write_chat_usage(w, {input_tokens_, output_tokens_, cache_read_, cache_creation_});
    w.end_object();
    out.append("\n\ndata: [DONE]\n\n");
    done_ = true;
  }
  // ping, content_block_stop and event types added later need nothing.
  return Status();
}

}  // namespace accord
