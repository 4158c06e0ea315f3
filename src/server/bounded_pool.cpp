#include "server/bounded_pool.h"

namespace sms::server {
namespace {
thread_local bool tl_over_capacity = false;
}  // namespace

BoundedPool::BoundedPool(std::size_t threads, std::size_t max_waiting) : max_waiting_(max_waiting) {
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

BoundedPool::~BoundedPool() { shutdown(); }

void BoundedPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (waiting_.size() < max_waiting_ && !shutting_down_) {
      waiting_.push_back(std::move(fn));
      ready_.notify_one();
      return;
    }
  }
  tl_over_capacity = true;
  fn();
  tl_over_capacity = false;
}

void BoundedPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_ && workers_.empty()) return;
    shutting_down_ = true;
  }
  ready_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
}

bool BoundedPool::over_capacity() { return tl_over_capacity; }

void BoundedPool::work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return shutting_down_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // shutting down with nothing left to serve
      fn = std::move(waiting_.front());
      waiting_.pop_front();
    }
    fn();
  }
}

}  // namespace sms::server
