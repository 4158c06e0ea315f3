// The running connector's configuration: a snapshot that readers take without blocking and that
// POST /api/configs replaces as a whole. Each replacement bumps the generation, so holders of
// derived objects (clients, token providers) can tell when to rebuild them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "core/config.h"

namespace sms::config {

class LiveConfig {
 public:
  explicit LiveConfig(Config initial)
      : current_(std::make_shared<const Config>(std::move(initial))) {}

  std::shared_ptr<const Config> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  std::uint64_t generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
  }
  void replace(Config next) {
    auto p = std::make_shared<const Config>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(p);
    ++generation_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> current_;
  std::uint64_t generation_ = 0;
};

}  // namespace sms::config
