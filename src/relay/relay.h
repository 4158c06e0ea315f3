// Delivery workers: take due messages from the store, send them to the other side, and record
// the outcome (sent / retry with backoff / dead), per-conversation FIFO, one loop per direction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/live_config.h"
#include "relay/providers.h"
#include "relay/throughput.h"
#include "relay/upstream_health.h"
#include "store/store.h"

namespace sms::relay {

struct Stats {
  std::int64_t sent_inbound = 0, sent_outbound = 0;
  std::int64_t retries = 0, dead = 0, expired = 0;
  std::optional<std::int64_t> last_sent_inbound_ms, last_sent_outbound_ms;
};

class Relay {
 public:
  Relay(store::Store& store, config::LiveConfig& config);
  ~Relay();  // stop()
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Requeues messages left in flight by a crash, then starts the worker threads.
  Result<void> start();
  // New work for a direction: wake its workers now instead of at the next poll.
  void notify(store::Direction direction);
  // Stops claiming and waits for the deliveries in hand (each bounded by relay.upstreamTimeout);
  // queued messages stay queued for the next start.
  void stop();

  Stats stats() const;
  // This instance's deliveries per minute over the last hour.
  const Throughput& throughput() const;
  // Why messages are not flowing, per direction ("" when fine): e.g. "avaya.host is not set",
  // for the first tenant that lacks something.
  std::string blocked_reason(store::Direction direction) const;
  // The state of the upstream a direction delivers to: Infinity (inbound) or Twilio (outbound);
  // with tenants, the first failing tenant's, else healthy.
  UpstreamState upstream(store::Direction direction) const;
  // The same for one tenant's.
  UpstreamState upstream(store::Direction direction, std::string_view tenant) const;
  // Obtains every tenant's Infinity token now (cached while valid) and returns when the first
  // expires; nullopt when every tenant is in Infinity mock mode (no token needed).
  Result<std::optional<std::chrono::system_clock::time_point>> check_infinity_token();
  // The same for one tenant's token.
  Result<std::optional<std::chrono::system_clock::time_point>> check_infinity_token(std::string_view tenant);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sms::relay
