// traces: where the gateway's spans go (an OTLP/HTTP collector), how many traces it keeps, and how
// long a span may wait before it is sent.
#include <fmt/format.h>

#include "agreement/loader_impl.h"

namespace accord::loader {

using yaml::Fields;

void Loader::load_traces(const YAML::Node& node) {
  const Fields f(
      node, "traces", diag_,
      {"endpoint", "sample_ratio", "service_name", "flush_interval_ms", "max_queue_spans"});
  if (!f.ok()) return;
  TracesConfig& t = a_.traces;
  t.enabled = true;
  const YAML::Node endpoint = f.require("endpoint");
  if (auto url = endpoint.IsDefined() ? yaml::read_string(endpoint, f.path_of("endpoint"), diag_)
                                      : std::nullopt) {
    UpstreamEndpoint parsed;
    if (auto problem = parse_http_url(*url, parsed)) {
      diag_.add(yaml::pos_of(endpoint), fmt::format("{}: {}", f.path_of("endpoint"), *problem));
    } else if (parsed.tls) {
      diag_.add(yaml::pos_of(endpoint),
                fmt::format("{}: expected an http:// URL (spans go to a collector nearby; "
                            "https is not supported)",
                            f.path_of("endpoint")));
    } else {
      t.endpoint = *url;
      t.host = parsed.host;
      t.port = parsed.port;
      if (!parsed.base_path.empty()) t.path = parsed.base_path;
    }
  }
  if (auto v = f.number("sample_ratio")) {
    if (*v < 0 || *v > 1) {
      diag_.add(yaml::pos_of(f.get("sample_ratio")),
                fmt::format("{}: must be between 0 and 1", f.path_of("sample_ratio")));
    } else {
      t.sample_ratio = *v;
    }
  }
  if (auto v = f.string("service_name")) {
    if (v->empty()) {
      diag_.add(yaml::pos_of(f.get("service_name")),
                fmt::format("{}: must not be empty", f.path_of("service_name")));
    } else {
      t.service_name = *v;
    }
  }
  for (const auto& [key, out] : {std::pair{"flush_interval_ms", &t.flush_interval_ms},
                                 std::pair{"max_queue_spans", &t.max_queue_spans}}) {
    const auto v = f.non_negative_integer(key);
    if (v && *v == 0) {
      diag_.add(yaml::pos_of(f.get(key)),
                fmt::format("{}: must be greater than 0", f.path_of(key)));
    } else if (v) {
      *out = *v;
    }
  }
}

}  // namespace accord::loader
