// The bounded task queue for a cpp-httplib listener, with its crew for connections over capacity.
#include "server/bounded_pool.h"

#include <algorithm>

namespace sms::server {
namespace {

thread_local bool tl_over_capacity = false;

// Enough to answer a burst of refused connections quickly without a thread per connection.
constexpr std::size_t kRejecterThreads = 2;
constexpr std::size_t kRejecterQueue = 64;

}  // namespace

BoundedPool::Crew::Crew(std::size_t n, std::size_t limit_, bool over_capacity_)
    : limit(limit_), over_capacity(over_capacity_) {
  for (std::size_t i = 0; i < n; ++i)
    threads.emplace_back([this] {
      tl_over_capacity = over_capacity;
      for (;;) {
        std::function<void()> fn;
        {
          std::unique_lock lock(mutex);
          ready.wait(lock, [this] { return stopping || !waiting.empty(); });
          if (waiting.empty()) return;  // stopping with nothing left to serve
          fn = std::move(waiting.front().second);
          waiting.pop_front();
          promised -= promised > 0;
          ++running;
        }
        fn();
        std::lock_guard lock(mutex);
        --running;
      }
    });
}

bool BoundedPool::Crew::try_push(std::function<void()>& fn) {
  {
    std::lock_guard lock(mutex);
    if (stopping || running + waiting.size() >= limit) return false;
    waiting.emplace_back(std::chrono::steady_clock::now(), std::move(fn));
  }
  ready.notify_one();
  return true;
}

void BoundedPool::Crew::stop() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  ready.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  threads.clear();
}

BoundedPool::BoundedPool(std::size_t threads, std::size_t max_connections)
    : workers_(threads, std::max(threads, max_connections), false),
      rejecters_(kRejecterThreads, kRejecterThreads + kRejecterQueue, true) {}

BoundedPool::~BoundedPool() { shutdown(); }

void BoundedPool::enqueue(std::function<void()> fn) {
  if (workers_.try_push(fn) || rejecters_.try_push(fn)) return;
  tl_over_capacity = true;
  fn();
  tl_over_capacity = false;
}

void BoundedPool::shutdown() {
  workers_.stop();
  rejecters_.stop();
}

bool BoundedPool::over_capacity() { return tl_over_capacity; }

bool BoundedPool::hand_on() {
  std::lock_guard lock(workers_.mutex);
  auto& w = workers_;
  if (w.waiting.size() <= w.promised || std::chrono::steady_clock::now() - w.waiting.front().first < kPatience)
    return false;
  ++w.promised;
  return true;
}

}  // namespace sms::server
