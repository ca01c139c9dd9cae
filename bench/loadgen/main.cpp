// accord-loadgen: open-loop load for benchmarks. Each party sends streaming chat completions with
// Poisson arrivals at its own rate, whatever the answers (an overload stays an overload), and the
// tool reports per party what was sent, served and refused, the time to first token, and the
// weighted tokens per second served (prompt + output_weight × completion, from the usage chunk).
//
//   accord-loadgen --url http://127.0.0.1:8080 --model m --duration 60
//       --party copilot:KEY:12 --party acme:KEY:50 [--party NAME:KEY:RATE:SERVICE_TIER]
//       [--prompt-bytes 400] [--max-tokens 32] [--output-weight 3] [--json out.json]
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/clock.h"
#include "core/json_writer.h"
#include "http/client.h"
#include "http/sse.h"
#include "openai/response_usage.h"
#include "runtime/event_loops.h"

namespace accord {
namespace {

struct PartyLoad {
  std::string name;
  std::string key;
  double rate = 1;
  std::string service_tier;
  // results
  int64_t sent = 0, ok = 0, refused = 0, errors = 0, preempted = 0;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  std::vector<double> ttft_ms;
  std::vector<double> e2e_ms;
  int64_t in_flight = 0;
};

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string model = "m";
  double duration_s = 60;
  int prompt_bytes = 400;
  int max_tokens = 32;
  double output_weight = 3;
  std::string json;
  uint64_t seed = 1;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

class LoadGenerator {
 public:
  LoadGenerator(asio::io_context& io, Options o, std::vector<PartyLoad>& parties)
      : io_(io),
        o_(std::move(o)),
        parties_(parties),
        sweeper_(std::make_shared<DeadlineSweeper>(io, 50 * kNanosPerMilli)),
        client_(io, sweeper_) {
    const std::string rest = o_.url.substr(o_.url.find("//") + 2);
    target_.host = rest.substr(0, rest.find(':'));
    target_.port = static_cast<uint16_t>(std::stoi(rest.substr(rest.find(':') + 1)));
    target_.host_header = rest;
    target_.max_idle = 8192;
    std::string prompt;
    while (static_cast<int>(prompt.size()) < o_.prompt_bytes) prompt += "lorem ipsum dolor ";
    prompt.resize(static_cast<size_t>(o_.prompt_bytes));
    body_template_ = fmt::format(
        R"({{"model":"{}","messages":[{{"role":"user","content":"{}"}}],"max_tokens":{},)"
        R"("ignore_eos":true,"stream":true,"stream_options":{{"include_usage":true}})",
        o_.model, prompt, o_.max_tokens);
  }

  void start() {
    sweeper_->start();
    start_ = SystemClock::instance().now();
    for (size_t i = 0; i < parties_.size(); ++i) {
      asio::co_spawn(io_, arrivals(i), asio::detached);
    }
  }

  bool done() const { return arrivals_done_ == parties_.size() && in_flight_ == 0; }

 private:
  asio::awaitable<void> arrivals(size_t i) {
    PartyLoad& p = parties_[i];
    std::mt19937_64 rng(o_.seed * 7919 + i);
    std::exponential_distribution<double> gap(p.rate);
    asio::steady_timer timer(io_);
    MonoNanos next = start_;
    const MonoNanos end = start_ + seconds_to_nanos(o_.duration_s);
    for (;;) {
      next += seconds_to_nanos(gap(rng));
      if (next >= end) break;
      timer.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(next)));
      error_code ec;
      co_await timer.async_wait(use_ec(ec));
      ++in_flight_;
      asio::co_spawn(io_, request(p), asio::detached);
    }
    ++arrivals_done_;
  }

  asio::awaitable<void> request(PartyLoad& p) {
    ++p.sent;
    std::string body = body_template_;
    if (!p.service_tier.empty()) {
      body.insert(body.size() - 1, fmt::format(R"(,"service_tier":"{}")", p.service_tier));
    }
    body.append("}");
    const std::string head = fmt::format(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        target_.host_header, p.key, body.size());
    const MonoNanos sent_at = SystemClock::instance().now();
    const ClientTimeouts timeouts{5'000, 600'000, 600'000};
    auto response = co_await client_.send(target_, head, body, timeouts);
    if (!response.ok()) {
      ++p.errors;
      --in_flight_;
      co_return;
    }
    ClientResponse& r = response.value();
    if (r.status() == 429) {
      std::string ignored;
      co_await r.read_all(ignored, 1 << 20);
      ++p.refused;
      --in_flight_;
      co_return;
    }
    if (r.status() != 200) {
      std::string ignored;
      co_await r.read_all(ignored, 1 << 20);
      ++p.errors;
      --in_flight_;
      co_return;
    }
    SseParser sse;
    std::string chunk;
    bool first = true, failed = false, preempted = false;
    for (;;) {
      chunk.clear();
      auto more = co_await r.read_some(chunk);
      if (!more.ok()) {
        failed = true;
        break;
      }
      sse.feed(chunk);
      SseEvent e;
      while (sse.next(e)) {
        if (e.data.find("\"error\"") != std::string_view::npos) {
          failed = true;
          preempted = e.data.find("preempted") != std::string_view::npos;
        }
        if (first && e.data.find("\"content\":\"") != std::string_view::npos &&
            e.data.find("\"content\":\"\"") == std::string_view::npos) {
          first = false;
          p.ttft_ms.push_back(nanos_to_millis(SystemClock::instance().now() - sent_at));
        }
        if (auto usage = find_usage(e.data); usage && usage->choices_empty) {
          p.prompt_tokens += usage->prompt_tokens;
          p.completion_tokens += usage->completion_tokens;
        }
      }
      sse.compact();
      if (!more.value()) break;
    }
    if (failed) {
      ++(preempted ? p.preempted : p.errors);
    } else {
      ++p.ok;
      p.e2e_ms.push_back(nanos_to_millis(SystemClock::instance().now() - sent_at));
    }
    --in_flight_;
  }

  asio::io_context& io_;
  Options o_;
  std::vector<PartyLoad>& parties_;
  std::shared_ptr<DeadlineSweeper> sweeper_;
  HttpClientPool client_;
  ClientTarget target_;
  std::string body_template_;
  MonoNanos start_ = 0;
  size_t arrivals_done_ = 0;
  int64_t in_flight_ = 0;
};

}  // namespace
}  // namespace accord

int main(int argc, char** argv) {
  using namespace accord;
  Options o;
  std::vector<std::string> party_specs;
  CLI::App app{"accord-loadgen: open-loop streaming load, per party"};
  app.add_option("--url", o.url)->capture_default_str();
  app.add_option("--model", o.model)->capture_default_str();
  app.add_option("--duration", o.duration_s, "Seconds of arrivals")->capture_default_str();
  app.add_option("--prompt-bytes", o.prompt_bytes)->capture_default_str();
  app.add_option("--max-tokens", o.max_tokens)->capture_default_str();
  app.add_option("--output-weight", o.output_weight)->capture_default_str();
  app.add_option("--party", party_specs, "NAME:KEY:RATE[:SERVICE_TIER]")->required();
  app.add_option("--json", o.json, "Write the results here");
  app.add_option("--seed", o.seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<PartyLoad> parties;
  for (const std::string& spec : party_specs) {
    PartyLoad p;
    std::vector<std::string> f;
    size_t at = 0;
    for (size_t c; (c = spec.find(':', at)) != std::string::npos; at = c + 1) {
      f.push_back(spec.substr(at, c - at));
    }
    f.push_back(spec.substr(at));
    if (f.size() < 3) {
      fmt::print(stderr, "--party {}: expected NAME:KEY:RATE[:SERVICE_TIER]\n", spec);
      return 2;
    }
    p.name = f[0];
    p.key = f[1];
    p.rate = std::stod(f[2]);
    if (f.size() > 3) p.service_tier = f[3];
    parties.push_back(std::move(p));
  }
  asio::io_context io(1);
  LoadGenerator gen(io, o, parties);
  gen.start();
  while (!gen.done()) io.run_for(std::chrono::milliseconds(100));

  fmt::print("{:<10} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10} {:>10} {:>10}\n", "party", "sent", "ok",
             "429", "preempt", "errors", "wtok/s", "ttft p50", "ttft p99");
  std::string json;
  JsonWriter w(json);
  w.begin_object().key("parties").begin_array();
  for (const PartyLoad& p : parties) {
    const double weighted = (static_cast<double>(p.prompt_tokens) +
                             o.output_weight * static_cast<double>(p.completion_tokens)) /
                            o.duration_s;
    fmt::print("{:<10} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10.0f} {:>8.0f}ms {:>8.0f}ms\n", p.name,
               p.sent, p.ok, p.refused, p.preempted, p.errors, weighted, percentile(p.ttft_ms, 50),
               percentile(p.ttft_ms, 99));
    w.begin_object();
    w.field("party", p.name).field("sent", p.sent).field("ok", p.ok);
    w.field("refused", p.refused).field("preempted", p.preempted).field("errors", p.errors);
    w.field("prompt_tokens", p.prompt_tokens).field("completion_tokens", p.completion_tokens);
    w.field("weighted_tokens_per_s", weighted);
    w.field("ttft_p50_ms", percentile(p.ttft_ms, 50));
    w.field("ttft_p99_ms", percentile(p.ttft_ms, 99));
    w.field("e2e_p50_ms", percentile(p.e2e_ms, 50));
    w.end_object();
  }
  w.end_array().field("duration_s", o.duration_s).end_object();
  if (!o.json.empty()) {
    FILE* f = std::fopen(o.json.c_str(), "w");
    if (f != nullptr) {
      std::fputs(json.c_str(), f);
      std::fclose(f);
    }
  }
  return 0;
}
