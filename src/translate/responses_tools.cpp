// The Responses request's tools, tool_choice and text.format, as Chat Completions has them:
// Responses flattens a function tool ({type, name, parameters, ...}) where Chat nests it under
// "function", and moves response_format into text.format.
#include <fmt/format.h>

#include "core/json_writer.h"
#include "translate/responses_internal.h"

namespace accord::responses_detail {

namespace {

// A required string member.
Status string_member(dom::object object, std::string_view key, const std::string& param,
                     std::string_view& out) {
  dom::element v;
  if (object[key].get(v)) return missing_param(param);
  if (v.get_string().get(out)) return wrong_type(param, "a string", v);
  return Status();
}

// An optional member of the given kind ("" when absent or null), re-serialised.
Status optional_raw(dom::element v, dom::element_type want, std::string_view want_name,
                    const std::string& param, std::string& raw) {
  if (is_null(v)) return Status();
  if (v.type() != want) return wrong_type(param, want_name, v);
  raw = raw_json(v);
  return Status();
}

Status translate_function_tool(const std::string& param, dom::element tool, JsonWriter& w) {
  dom::object object;
  if (tool.get_object().get(object)) return wrong_type(param, "an object", tool);
  std::string_view type;
  if (Status s = string_member(object, "type", param + ".type", type); !s) return s;
  if (type != "function") {
    return not_translatable(param + ".type", fmt::format("Tool type '{}'", type));
  }
  std::string_view name;
  bool has_name = false;
  std::string description, parameters, strict;
  for (auto [key, value] : object) {
    const std::string field = fmt::format("{}.{}", param, key);
    if (key == "type") continue;
    if (key == "name") {
      if (value.get_string().get(name)) return wrong_type(field, "a string", value);
      has_name = true;
    } else if (key == "description") {
      if (Status s = optional_raw(value, dom::element_type::STRING, "a string", field, description);
          !s) {
        return s;
      }
    } else if (key == "parameters") {
      if (Status s = optional_raw(value, dom::element_type::OBJECT, "an object", field, parameters);
          !s) {
        return s;
      }
    } else if (key == "strict") {
      if (Status s = optional_raw(value, dom::element_type::BOOL, "a boolean", field, strict); !s) {
        return s;
      }
    } else if (key == "defer_loading") {
      bool defer = false;
      if (!is_null(value) && value.get_bool().get(defer)) {
        return wrong_type(field, "a boolean", value);
      }
      if (defer) return not_translatable(field, fmt::format("'{}': true", field));
    } else if (key == "allowed_callers") {
      // Only direct calls exist in Chat Completions.
      dom::array callers;
      if (is_null(value)) continue;
      if (value.get_array().get(callers)) return wrong_type(field, "an array", value);
      for (dom::element caller : callers) {
        std::string_view c;
        if (caller.get_string().get(c) || c != "direct") {
          return not_translatable(field, "A caller other than 'direct'");
        }
      }
    } else if (key == "output_schema") {
      if (!is_null(value)) return not_translatable(field, fmt::format("'{}'", field));
    } else {
      return unknown_param(field);
    }
  }
  if (!has_name) return missing_param(param + ".name");
  w.begin_object().field("type", "function").key("function").begin_object();
  w.field("name", name);
  if (!description.empty()) w.key("description").raw(description);
  if (!parameters.empty()) w.key("parameters").raw(parameters);
  if (!strict.empty()) w.key("strict").raw(strict);
  w.end_object().end_object();
  return Status();
}

void write_named_function(JsonWriter& w, std::string_view name) {
  w.begin_object().field("type", "function").key("function").begin_object();
  w.field("name", name).end_object().end_object();
}

Status translate_format(dom::element format, std::string& response_format) {
  dom::object object;
  if (format.get_object().get(object)) return wrong_type("text.format", "an object", format);
  std::string_view type;
  if (Status s = string_member(object, "type", "text.format.type", type); !s) return s;
  if (type != "text" && type != "json_object" && type != "json_schema") {
    return not_translatable("text.format.type", fmt::format("Text format '{}'", type));
  }
  std::string_view name;
  bool has_name = false;
  std::string schema, description, strict;
  for (auto [key, value] : object) {
    const std::string field = fmt::format("text.format.{}", key);
    if (key == "type") continue;
    if (type != "json_schema") return unknown_param(field);
    if (key == "name") {
      if (value.get_string().get(name)) return wrong_type(field, "a string", value);
      has_name = true;
    } else if (key == "schema") {
      if (!value.is_object()) return wrong_type(field, "an object", value);
      schema = raw_json(value);
    } else if (key == "description") {
      if (Status s = optional_raw(value, dom::element_type::STRING, "a string", field, description);
          !s) {
        return s;
      }
    } else if (key == "strict") {
      if (Status s = optional_raw(value, dom::element_type::BOOL, "a boolean", field, strict); !s) {
        return s;
      }
    } else {
      return unknown_param(field);
    }
  }
  if (type == "text") return Status();
  if (type == "json_object") {
    response_format = R"({"type":"json_object"})";
    return Status();
  }
  if (!has_name) return missing_param("text.format.name");
  if (schema.empty()) return missing_param("text.format.schema");
  JsonWriter w(response_format);
  w.begin_object().field("type", "json_schema").key("json_schema").begin_object();
  w.field("name", name).key("schema").raw(schema);
  if (!description.empty()) w.key("description").raw(description);
  if (!strict.empty()) w.key("strict").raw(strict);
  w.end_object().end_object();
  return Status();
}

}  // namespace

Status translate_tools(dom::element tools, std::string& chat_tools, int64_t& count) {
  dom::array array;
  if (tools.get_array().get(array)) return wrong_type("tools", "an array", tools);
  JsonWriter w(chat_tools);
  w.begin_array();
  count = 0;
  for (dom::element tool : array) {
    if (Status s = translate_function_tool(fmt::format("tools[{}]", count), tool, w); !s) return s;
    ++count;
  }
  w.end_array();
  return Status();
}

Status translate_tool_choice(dom::element choice, std::string& chat_choice) {
  std::string_view mode;
  if (!choice.get_string().get(mode)) {
    if (mode != "none" && mode != "auto" && mode != "required") {
      return invalid_param("tool_choice",
                           fmt::format("Invalid value for 'tool_choice': '{}'. Expected 'none', "
                                       "'auto', 'required' or an object.",
                                       mode));
    }
    append_json_string(chat_choice, mode);
    return Status();
  }
  dom::object object;
  if (choice.get_object().get(object)) {
    return wrong_type("tool_choice", "a string or an object", choice);
  }
  std::string_view type;
  if (Status s = string_member(object, "type", "tool_choice.type", type); !s) return s;
  JsonWriter w(chat_choice);
  if (type == "function") {
    std::string_view name;
    if (Status s = string_member(object, "name", "tool_choice.name", name); !s) return s;
    write_named_function(w, name);
    return Status();
  }
  if (type != "allowed_tools") {
    return not_translatable("tool_choice.type", fmt::format("tool_choice type '{}'", type));
  }
  if (Status s = string_member(object, "mode", "tool_choice.mode", mode); !s) return s;
  if (mode != "auto" && mode != "required") {
    return invalid_param("tool_choice.mode",
                         "Invalid value for 'tool_choice.mode': expected 'auto' or 'required'.");
  }
  dom::element tools_value;
  dom::array tools;
  if (object["tools"].get(tools_value)) return missing_param("tool_choice.tools");
  if (tools_value.get_array().get(tools)) {
    return wrong_type("tool_choice.tools", "an array", tools_value);
  }
  w.begin_object().field("type", "allowed_tools").key("allowed_tools").begin_object();
  w.field("mode", mode).key("tools").begin_array();
  int64_t i = 0;
  for (dom::element tool : tools) {
    const std::string param = fmt::format("tool_choice.tools[{}]", i++);
    dom::object t;
    if (tool.get_object().get(t)) return wrong_type(param, "an object", tool);
    std::string_view tool_type, name;
    if (Status s = string_member(t, "type", param + ".type", tool_type); !s) return s;
    if (tool_type != "function") {
      return not_translatable(param + ".type", fmt::format("Tool type '{}'", tool_type));
    }
    if (Status s = string_member(t, "name", param + ".name", name); !s) return s;
    write_named_function(w, name);
  }
  w.end_array().end_object().end_object();
  return Status();
}

Status translate_text_config(dom::element text, std::string& echo, std::string& response_format,
                             std::string& verbosity) {
  dom::object object;
  if (text.get_object().get(object)) return wrong_type("text", "an object", text);
  std::string format_echo = R"({"type":"text"})";
  for (auto [key, value] : object) {
    if (key == "format") {
      if (is_null(value)) continue;
      if (Status s = translate_format(value, response_format); !s) return s;
      format_echo = raw_json(value);
    } else if (key == "verbosity") {
      if (is_null(value)) continue;
      if (!value.is_string()) return wrong_type("text.verbosity", "a string", value);
      verbosity = raw_json(value);
    } else {
      return unknown_param(fmt::format("text.{}", key));
    }
  }
  JsonWriter w(echo);
  w.begin_object().key("format").raw(format_echo);
  if (!verbosity.empty()) w.key("verbosity").raw(verbosity);
  w.end_object();
  return Status();
}

}  // namespace accord::responses_detail
