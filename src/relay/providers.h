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
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "infinity/client.h"
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

// Sends messages to the providers. Thread-safe: each delivery worker holds its own Clients,
// rebuilt when the configuration changes; every worker shares one Infinity token per tenant.
class Providers {
 public:
  struct Clients {
    struct Tenant {
      std::unique_ptr<twilio::Client> twilio;
      std::unique_ptr<infinity::Client> infinity;
    };
    std::uint64_t generation = ~0ull;  // of the configuration they were built from
    std::map<std::string, Tenant, std::less<>> tenants;  // built at a tenant's first message
  };

  // Sends one message with `tenant`'s configuration (generation `generation` of the whole);
  // returns the provider's id for it ("mock" in mock mode).
  Result<std::string> send(const store::Message& m, const config::Config& tenant, std::uint64_t generation, Clients& clients);
  // Obtains `tenant`'s Infinity token now (cached while valid) and returns when it expires;
  // nullopt in Infinity mock mode (no token needed).
  Result<std::optional<std::chrono::system_clock::time_point>> check_infinity_token(const config::Config& tenant,
                                                                                     std::uint64_t generation);

 private:
  // The tenant's shared token provider; all are replaced when the configuration changes.
  std::shared_ptr<infinity::TokenProvider> token_provider(const config::Config& tenant, std::uint64_t generation);
  Clients::Tenant& clients_for(Clients& clients, const config::Config& tenant, std::uint64_t generation);

  std::mutex tokens_mutex_;
  std::uint64_t tokens_generation_ = ~0ull;
  std::map<std::string, std::shared_ptr<infinity::TokenProvider>, std::less<>> tokens_;  // by tenant
};

}  // namespace sms::relay
