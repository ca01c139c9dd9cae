#include "upstream/loop_clients.h"

namespace accord {

LoopClients::LoopClients(EventLoops& loops) {
  for (int i = 0; i < loops.size(); ++i) {
    auto per = std::make_unique<PerLoop>();
    per->sweeper = std::make_shared<DeadlineSweeper>(loops.loop(i), 100 * kNanosPerMilli);
    per->pool = std::make_unique<HttpClientPool>(loops.loop(i), per->sweeper);
    DeadlineSweeper* sweeper = per->sweeper.get();
    asio::post(loops.loop(i), [sweeper] { sweeper->start(); });
    per_loop_.push_back(std::move(per));
  }
}

LoopClients::~LoopClients() = default;

HttpClientPool& LoopClients::current() {
  const int i = EventLoops::current_index();
  return *per_loop_[static_cast<size_t>(i < 0 ? 0 : i)]->pool;
}

}  // namespace accord
