#include "engine/text_generator.h"

#include <algorithm>
#include <array>

namespace accord {
namespace {

constexpr std::array<std::string_view, 128> kWords{
    " the",       " capacity",  " of",         " each",      " party",    " is",       " reserved",
    " and",       " shared",    " fairly",     " across",    " a",        " fleet",    " that",
    " serves",    " models",    " to",         " many",      " teams",    " with",     " low",
    " latency",   " while",     " research",   " borrows",   " idle",     " GPUs",     " in",
    " every",     " region",    " agreement",  " holds",     " tokens",   " per",      " second",
    " are",       " billed",    " exactly",    " once",      " when",     " demand",   " rises",
    " priority",  " work",      " runs",       " first",     " then",     " others",   " follow",
    " under",     " load",      " scheduler",  " keeps",     " promises", " made",     " by",
    " contract",  " clear",     " simple",     " fast",      " as",       " it",       " can",
    " be",        " without",   " waste",      " this",      " answer",   " comes",    " from",
    " simulated", " engine",    " not",        " real",      " model",    " but",      " timing",
    " follows",   " published", " throughput", " figures",   " for",      " batches",  " on",
    " modern",    " hardware",  " we",         " measure",   " what",     " matters",  " most",
    " time",      " first",     " token",      " output",    " rate",     " cost",     " share",
    " revenue",   " owner",     " operator",   " customer",  " partner",  " early",    " access",
    " window",    " exclusive", " variant",    " preferred", " terms",    " standard", " tier",
    " budget",    " month",     " limit",      " request",   " queue",    " deadline", " reclaim",
    " lend",      " borrow",    " headroom",   " burst",     " settle",   " report",   " credit",
    " service",   " level",
};

}  // namespace

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string_view TextGenerator::token(int64_t i) const {
  const uint64_t r = splitmix64(seed_ ^ static_cast<uint64_t>(i) * 0x2545f4914f6cdd1dull);
  if (i > 0 && r % 11 == 0) return ".";
  const std::string_view w = kWords[(r >> 8) % kWords.size()];
  return i == 0 ? w.substr(1) : w;
}

int64_t TextGenerator::natural_length() const {
  return 32 + static_cast<int64_t>(splitmix64(~seed_) % 480);
}

GenerationPlan plan_generation(uint64_t seed, int64_t max_tokens, bool ignore_eos,
                               int64_t min_tokens, const std::vector<std::string>& stop) {
  const TextGenerator text(seed);
  GenerationPlan plan;
  const int64_t natural = std::max(text.natural_length(), min_tokens);
  if (ignore_eos || natural >= max_tokens) {
    plan.tokens = max_tokens;
    plan.finish_reason = "length";
  } else {
    plan.tokens = natural;
  }
  if (stop.empty()) return plan;
  // Cut before the first stop sequence, as an engine stops generating there.
  std::string produced;
  for (int64_t i = 0; i < plan.tokens; ++i) {
    produced.append(text.token(i));
    for (const std::string& s : stop) {
      if (!s.empty() && produced.find(s) != std::string::npos) {
        plan.tokens = i;  // token i completed the stop sequence: it is not emitted
        plan.finish_reason = "stop";
        return plan;
      }
    }
  }
  return plan;
}

}  // namespace accord
