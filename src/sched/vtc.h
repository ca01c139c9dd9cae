// Vtc: weighted fair sharing across parties by virtual token counters (Sheng et al., "Fairness
// in Serving Large Language Models", OSDI 2024). Each party has a counter of the service it got,
// divided by its weight; the next request served is the head of the party with the lowest
// counter. A party that returns after being idle is lifted to the lowest counter among the
// parties waiting (or the last one served), so idle time banks no credit. O(log parties) per
// operation. Not thread-safe; holds its requests by shared_ptr.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

namespace accord {

template <class T>
class Vtc {
 public:
  // Queues `item` for `party` (weight > 0).
  void push(int32_t party, double weight, std::shared_ptr<T> item) {
    Party& p = parties_[party];
    p.weight = weight;
    if (p.queue.empty()) {
      const double floor = active_.empty() ? last_served_counter_ : active_.begin()->first;
      p.counter = std::max(p.counter, floor);
      active_.emplace(p.counter, party);
    }
    p.queue.push_back(std::move(item));
    ++size_;
  }

  // The party that would be served next and its head, without removing it (nullptr if empty).
  const std::shared_ptr<T>* peek(int32_t* party = nullptr) const {
    if (active_.empty()) return nullptr;
    const int32_t id = active_.begin()->second;
    if (party != nullptr) *party = id;
    return &parties_.at(id).queue.front();
  }

  // Removes the head of the lowest-counter party and charges it `cost` (weighted tokens).
  std::shared_ptr<T> pop(double cost) {
    const auto [counter, id] = *active_.begin();
    active_.erase(active_.begin());
    Party& p = parties_[id];
    std::shared_ptr<T> item = std::move(p.queue.front());
    p.queue.pop_front();
    --size_;
    p.counter += cost / p.weight;
    last_served_counter_ = p.counter;
    if (!p.queue.empty()) active_.emplace(p.counter, id);
    return item;
  }

  // Serves `party` at once, without queueing (nobody waits): lifts it like an arrival, charges
  // `cost`. REQUIRES: the party has nothing queued.
  void serve_now(int32_t party, double weight, double cost) {
    Party& p = parties_[party];
    p.weight = weight;
    const double floor = active_.empty() ? last_served_counter_ : active_.begin()->first;
    p.counter = std::max(p.counter, floor) + cost / p.weight;
    last_served_counter_ = p.counter;
  }

  // Adjusts a party's counter by the difference between estimate and real use.
  void charge(int32_t party, double cost) {
    auto it = parties_.find(party);
    if (it == parties_.end()) return;
    Party& p = it->second;
    if (!p.queue.empty()) active_.erase({p.counter, party});
    p.counter += cost / p.weight;
    if (!p.queue.empty()) active_.emplace(p.counter, party);
  }

  // Removes a specific queued item (a client that left); false if it is not queued here.
  bool remove(int32_t party, const T* item) {
    auto it = parties_.find(party);
    if (it == parties_.end()) return false;
    auto& q = it->second.queue;
    for (auto i = q.begin(); i != q.end(); ++i) {
      if (i->get() != item) continue;
      const bool was_head = i == q.begin();
      q.erase(i);
      --size_;
      if (q.empty() || was_head) {
        active_.erase({it->second.counter, party});
        if (!q.empty()) active_.emplace(it->second.counter, party);
      }
      return true;
    }
    return false;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t active_parties() const { return active_.size(); }
  size_t queued(int32_t party) const {
    auto it = parties_.find(party);
    return it == parties_.end() ? 0 : it->second.queue.size();
  }
  double counter(int32_t party) const {
    auto it = parties_.find(party);
    return it == parties_.end() ? 0 : it->second.counter;
  }

 private:
  struct Party {
    double counter = 0;
    double weight = 1;
    std::deque<std::shared_ptr<T>> queue;
  };
  std::unordered_map<int32_t, Party> parties_;
  std::set<std::pair<double, int32_t>> active_;  // (counter, party) of parties with a queue
  double last_served_counter_ = 0;
  size_t size_ = 0;
};

}  // namespace accord
