// cpp-httplib's task queue for one listener. `threads` workers serve connections and at most
// `max_connections` are admitted (served or waiting for a worker). A connection beyond that is
// not queued behind the others (an unbounded queue lets a flood exhaust memory and delay every
// webhook): a small separate crew serves it with `over_capacity()` true, so the request handler
// answers 503 with Connection: close. Only when that crew is also saturated does the accepting
// thread serve the connection itself, which slows accepting: back-pressure into the kernel's
// listen backlog. Internal to http_server.cpp (it includes httplib.h).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sms::server {

class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t max_connections);
  ~BoundedPool() override;
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True while the calling thread serves a connection the pool had no room for.
  static bool over_capacity();
  // True when the calling worker should ask its client to close the connection so that the
  // worker is handed on: a connection has waited for one for kPatience, and no other worker has
  // been asked for it yet. (A client reconnecting waits briefly too; were that enough, each
  // close would cause the next, and every request would open a new connection.)
  bool hand_on();
  static constexpr auto kPatience = std::chrono::milliseconds(50);

 private:
  // Threads taking tasks from one queue; `limit` bounds tasks running or waiting.
  struct Crew {
    Crew(std::size_t threads, std::size_t limit, bool over_capacity);
    bool try_push(std::function<void()>& fn);  // false when full or stopping
    void stop();                               // runs what is queued, then joins

    const std::size_t limit;
    const bool over_capacity;
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> waiting;  // since when
    std::size_t running = 0;
    std::size_t promised = 0;  // waiting connections a worker was asked to hand on to
    bool stopping = false;
    std::vector<std::thread> threads;
  };

  Crew workers_;
  Crew rejecters_;
};

}  // namespace sms::server
