// Does the time authentication takes depend on how much of a real key the presented key matches?
// A dudect-style test (Reparaz et al., "Dude, is my code constant time?", 2017): presented keys
// of two classes, in random order: class 0 shares no prefix with any real key, class 1 matches a
// real key in all but its last character. Each measurement times a batch of calls; the slowest
// 10% are cropped (interrupts, migrations). Welch's t between the classes: |t| above 4.5 is a
// leak found; below it, none was found with this many samples.
//
// As a control, the same measurement of a plain std::string comparison of the keys themselves
// (what a naive gateway does) shows the test can see a prefix-dependent difference.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "policy/authenticate.h"

namespace {

struct Welch {
  double n[2] = {0, 0}, mean[2] = {0, 0}, m2[2] = {0, 0};
  void add(int cls, double x) {
    n[cls] += 1;
    const double d = x - mean[cls];
    mean[cls] += d / n[cls];
    m2[cls] += d * (x - mean[cls]);
  }
  double t() const {
    const double v0 = m2[0] / (n[0] - 1), v1 = m2[1] / (n[1] - 1);
    return (mean[0] - mean[1]) / std::sqrt(v0 / n[0] + v1 / n[1]);
  }
};

template <typename F>
Welch measure(const std::vector<std::string>& keys_by_class0, const std::vector<std::string>& keys1,
              size_t samples, int batch, F&& call) {
  std::mt19937_64 rng(42);
  std::vector<std::pair<int, double>> timings;
  timings.reserve(samples);
  volatile uint64_t sink = 0;
  for (size_t i = 0; i < samples; ++i) {
    const int cls = static_cast<int>(rng() & 1);
    const std::string& key =
        cls == 0 ? keys_by_class0[i % keys_by_class0.size()] : keys1[i % keys1.size()];
    const auto start = std::chrono::steady_clock::now();
    for (int b = 0; b < batch; ++b) sink = sink + call(key);
    const auto end = std::chrono::steady_clock::now();
    timings.emplace_back(cls,
                         std::chrono::duration<double, std::nano>(end - start).count() / batch);
  }
  std::vector<double> sorted;
  sorted.reserve(timings.size());
  for (const auto& t : timings) sorted.push_back(t.second);
  std::nth_element(sorted.begin(),
                   sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() * 9 / 10),
                   sorted.end());
  const double crop = sorted[sorted.size() * 9 / 10];
  Welch w;
  for (const auto& [cls, x] : timings) {
    if (x <= crop) w.add(cls, x);
  }
  return w;
}

void print(const char* what, const Welch& w) {
  const double t = w.t();
  fmt::print("{:<44} {:>10.1f} {:>10.1f} {:>9.2f}  {}\n", what, w.mean[0], w.mean[1], t,
             std::fabs(t) > 4.5 ? "DIFFERS" : "no difference found");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t samples = argc > 1 ? std::stoul(argv[1]) : 2'000'000;
  std::mt19937_64 rng(7);
  auto random_key = [&] {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string k = "sk-accord-";
    for (int i = 0; i < 40; ++i) k += alphabet[rng() % 62];
    return k;
  };
  accord::Agreement agreement;
  std::vector<std::string> real;
  for (int i = 0; i < 64; ++i) {
    real.push_back(random_key());
    accord::ApiKey k;
    k.id = fmt::format("k{}", i);
    k.party = 0;
    k.sha256 = accord::sha256(real.back());
    agreement.keys.push_back(k);
  }
  const accord::KeyIndex index(agreement);
  // Class 0: differs from every real key from its first character after the shared "sk-"
  // prefix; class 1: a real key with its last character changed. Many distinct keys per class,
  // so that where their hashes fall in the index is alike for both.
  std::vector<std::string> far, near;
  static const char last_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 65536; ++i) {
    const std::string& k = real[static_cast<size_t>(i) % real.size()];
    std::string f = random_key();
    f[3] = k[3] == 'x' ? 'y' : 'x';
    far.push_back(f);
    std::string n = k;
    do {
      n.back() = last_chars[rng() % 62];
    } while (n.back() == k.back());
    near.push_back(n);
  }
  std::vector<std::string> far_headers, near_headers;
  for (const auto& k : far) far_headers.push_back("Bearer " + k);
  for (const auto& k : near) near_headers.push_back("Bearer " + k);

  fmt::print("{} samples per test, batches of 8 calls, slowest 10% cropped\n", samples);
  fmt::print("{:<44} {:>10} {:>10} {:>9}\n", "", "no prefix", "all but 1", "Welch t");
  fmt::print("{:<44} {:>10} {:>10}\n", "", "ns/call", "ns/call");
  const Welch auth = measure(far_headers, near_headers, samples, 8, [&](const std::string& h) {
    return accord::authenticate(index, h, 0).ok() ? 1u : 0u;
  });
  print("accord authenticate()", auth);
  // The control: compare the presented key with the stored plaintext keys, byte by byte until
  // the first difference (64 keys of 50 bytes; a class 1 key matches one of them but its end).
  const Welch naive = measure(far, near, samples, 8, [&](const std::string& k) {
    unsigned found = 0;
    for (const std::string& r : real) found += (r == k) ? 1u : 0u;
    return found;
  });
  print("control: std::string == against plaintext", naive);
  return 0;
}
