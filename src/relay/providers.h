// The providers a message is delivered to, Infinity (inbound) and Twilio (outbound): their
// clients built from the configuration, their mock modes, and what a direction lacks to be
// delivered.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <string>
#include <utility>

#include "core/config.h"
#include "core/result.h"
#include "infinity/client.h"
#include "relay/outbound_media.h"
#include "store/store.h"
#include "twilio/client.h"

namespace sms::relay {

// The upstream a direction delivers to: "infinity" (inbound) or "twilio" (outbound).
const char* upstream_name(store::Direction direction);

// Why messages in a direction cannot be delivered with this tenant's configuration ("" when they
// can): e.g. "avaya.host is not set (config set avaya.host https://...)". Mock modes need nothing.
std::string blocked_reason(const config::Config& tenant, store::Direction direction);

// The configuration of the tenant a message belongs to (by its conversation's business number):
// its view, or `config` itself for the default tenant and for a number no tenant serves.
const config::Config& tenant_view(const config::Config& config, const store::Message& m);

// Sends messages to the providers. Thread-safe: the workers share each tenant's clients, a
// client lent to one delivery at a time (so a tenant has as many connections as it has
// deliveries at once, not one per worker and tenant), rebuilt when the configuration changes;
// and one Infinity token per tenant.
class Providers {
 public:
  // Sends one message with `tenant`'s configuration (generation `generation` of the whole);
  // returns the provider's id for it ("mock" in mock mode). An agent's message with attachments
  // goes as MMS (relay/outbound_media.h), its changes recorded with `revise`.
  Result<std::string> send(const store::Message& m, const config::Config& tenant, std::uint64_t generation,
                           const Revise& revise);
  // Obtains `tenant`'s Infinity token now (cached while valid) and returns when it expires;
  // nullopt in Infinity mock mode (no token needed).
  Result<std::optional<std::chrono::system_clock::time_point>> check_infinity_token(const config::Config& tenant,
                                                                                     std::uint64_t generation);

 private:
  struct Idle {  // one tenant's clients not lent out
    std::vector<std::unique_ptr<twilio::Client>> twilio;
    std::vector<std::unique_ptr<infinity::Client>> infinity;
    std::shared_ptr<infinity::TokenProvider> tokens;
  };
  // Under mutex_: the tenant's idle clients; every tenant's are dropped when a newer
  // configuration is seen first.
  Idle& idle_locked(const config::Config& tenant, std::uint64_t generation);
  // Lends one of the tenant's idle clients on `shelf` (or a new one, made by `make`) to `use`,
  // and takes it back unless the configuration changed meanwhile; returns what `use` returns.
  template <class Client, class Make, class Use>
  auto lend(std::vector<std::unique_ptr<Client>> Idle::*shelf, const config::Config& tenant, std::uint64_t generation,
            Make make, Use use) -> decltype(use(std::declval<Client&>()));
  Result<std::string> send_to_twilio(const store::Message& m, const config::Config& tenant, std::uint64_t generation,
                                     const Revise& revise);
  Result<std::string> send_to_infinity(const store::Message& m, const config::Config& tenant, std::uint64_t generation);
  // The tenant's Infinity token provider.
  std::shared_ptr<infinity::TokenProvider> tokens_of(const config::Config& tenant, std::uint64_t generation);
  // Lends one of the tenant's Infinity clients to `use`.
  template <class Use>
  auto lend_infinity(const config::Config& tenant, std::uint64_t generation, Use use);

  std::mutex mutex_;
  std::optional<std::uint64_t> generation_;      // of the idle clients
  std::map<std::string, Idle, std::less<>> idle_;  // by tenant
};

}  // namespace sms::relay
