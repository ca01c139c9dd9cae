// Serving POST /v1/responses from a Chat Completions backend, the answer half for a stream: the
// Chat Completions chunks become the Responses event sequence, each event written as
// "event: NAME\ndata: {JSON}\n\n" with sequence_number counting from 0:
//
//   response.created, response.in_progress
//   per text item:  response.output_item.added, response.content_part.added,
//                   response.output_text.delta..., response.output_text.done,
//                   response.content_part.done, response.output_item.done
//                   (a refusal is a content part too: response.refusal.delta / .done)
//   per tool call:  response.output_item.added, response.function_call_arguments.delta...,
//                   response.function_call_arguments.done, response.output_item.done
//   response.completed, or response.incomplete (finish_reason "length" or "content_filter")
//   or, when the stream breaks: error, response.failed
//
// Chat streams tool calls by index (id and name in the first delta, arguments in pieces); a
// call's item is announced once its name is known and stays open until finish(), so calls whose
// deltas interleave still come out whole. Text closes its message item when a tool call starts;
// text after a tool call opens a new one. Only choice 0 is read.
//
// One stream per response; not thread-safe. Each call appends whole events to `out`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "translate/responses_object.h"

namespace accord {

class ResponsesStream {
 public:
  explicit ResponsesStream(ResponseMeta meta) : meta_(std::move(meta)) {}

  // response.created and response.in_progress. feed(), finish() and fail() call it if needed.
  void begin(std::string& out);
  // One Chat Completions chunk: the data of one SSE event (not "[DONE]"). Errors are
  // kUpstreamError (the chunk is not JSON, or reports an error); nothing is appended then, and
  // the caller ends the stream with fail(). Ignored once done().
  Status feed(std::string_view chunk_json, std::string& out);
  // After "[DONE]": closes the open parts and items, then response.completed or
  // response.incomplete carrying the whole Response (usage included).
  void finish(std::string& out);
  // The stream broke (upstream error, timeout, invalid chunk): an `error` event, then
  // response.failed with the items finished so far. to_response_error() makes `error` from an
  // accord Error.
  void fail(const ResponseError& error, std::string& out);

  bool done() const { return done_; }
  // After finish() (or fail()): the final Response object, the answer as Chat messages for the
  // conversation store, the output items for item_reference, and the usage.
  const std::string& response_json() const { return response_json_; }
  const std::string& output_messages_json() const { return output_messages_json_; }
  const std::vector<OutputItem>& output_items() const { return output_items_; }
  const ResponseUsage& usage() const { return usage_; }
  bool incomplete() const { return incomplete_; }

 private:
  struct MessageItem {
    bool open = false;
    bool part_open = false;
    std::string id;
    int64_t output_index = 0;
    std::vector<OutputPart> parts;
  };
  struct ToolCall {
    int64_t chat_index = 0;
    std::string call_id, name, arguments;
    std::string id;             // the item's, once announced
    int64_t output_index = -1;  // -1 until announced
    bool closed = false;
  };

  template <class Members>
  void event(std::string& out, std::string_view type, Members&& members);
  void text_delta(std::string_view delta, bool refusal, std::string_view logprobs,
                  std::string& out);
  void open_message(std::string& out);
  void open_part(bool refusal, std::string& out);
  void close_part(std::string& out);
  void close_message(std::string_view status, std::string& out);
  struct ToolCallDelta {
    int64_t index = -1;  // -1 when the backend left it out
    std::string_view id, name, arguments;
  };
  void tool_call_delta(const ToolCallDelta& delta, std::string& out);
  void announce(ToolCall& call, std::string& out);
  void close_call(ToolCall& call, std::string_view status, std::string& out);
  void record_item(int64_t output_index, std::string id, std::string json);
  std::string output_json() const;

  ResponseMeta meta_;
  int64_t sequence_ = 0;
  int64_t next_output_index_ = 0;
  bool began_ = false;
  bool done_ = false;
  bool incomplete_ = false;
  MessageItem message_;
  std::vector<ToolCall> calls_;
  std::vector<std::pair<int64_t, size_t>> finished_;  // output_index → output_items_ position
  std::vector<OutputItem> output_items_;
  std::string text_, refusal_;  // all of the answer's text, for the conversation store
  std::string finish_reason_, service_tier_;
  ResponseUsage usage_;
  std::string response_json_, output_messages_json_;
};

}  // namespace accord
