// cpp-httplib's task queue for one listener: `threads` workers serve connections, at most
// `max_connections - threads` more wait for a worker. A connection beyond that is not queued
// (an unbounded queue lets a flood exhaust memory and delay every webhook behind it): it is
// processed on the accepting thread with `over_capacity()` true, so the request handler answers
// 503 with Connection: close at once. Internal to http_server.cpp (it includes httplib.h).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sms::server {

class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t max_waiting);
  ~BoundedPool() override;
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True while the calling thread serves a connection the pool had no room for.
  static bool over_capacity();

 private:
  void work();

  const std::size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> waiting_;
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sms::server
