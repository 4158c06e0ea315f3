// Deleting what the outbox no longer needs: `outbox purge` once, and serve's retention
// (store.retention) in the background, both in small steps that do not hold up webhooks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/live_config.h"
#include "store/store.h"

namespace sms::store {

// Rows one purge step deletes at most (of messages, and of dedupe keys). A step holds the writing
// connection, so its size sets the ack latency a purge adds: with 100-row steps the p99 rose by
// 64% during a purge, with 500-row steps by 163% (docs/performance.md).
inline constexpr std::size_t kPurgeBatch = 100;

// Purges finished messages last updated before `before_ms` and dedupe keys created before it,
// step by step. `between_steps` (if set) runs between two steps, e.g. to pause so that other
// writers get the store; returning false ends the purge early.
Result<Purged> purge_all(Store& store, std::int64_t before_ms, const std::function<bool()>& between_steps = {});

// serve's background purge: at start and then every `interval`, everything older than
// store.retention (read live; "0" keeps everything).
class Retention {
 public:
  Retention(Store& store, const config::LiveConfig& live, std::chrono::milliseconds interval = std::chrono::minutes(15));
  ~Retention();  // stops
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  void start();
  void stop();

 private:
  void run();
  bool sleep(std::chrono::milliseconds d);  // false once stopping

  Store& store_;
  const config::LiveConfig& live_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sms::store
