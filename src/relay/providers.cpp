// Delivery to the providers: Infinity and Twilio clients built from the configuration, and
// their mock modes.
#include "relay/providers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/text.h"

namespace sms::relay {
namespace {

using store::Direction;

http::Timeouts timeouts_of(const config::Config& c) {
  auto t = parse_duration(c.str("relay.upstreamTimeout")).value_or(std::chrono::seconds(15));
  return {std::min(t, std::chrono::milliseconds(5000)), t, t};
}

}  // namespace

const char* upstream_name(store::Direction d) { return d == Direction::inbound ? "infinity" : "twilio"; }

std::string blocked_reason(const config::Config& c, store::Direction d) {
  return d == Direction::inbound ? config::missing_infinity_settings(c) : config::missing_twilio_settings(c);
}

const config::Config& tenant_view(const config::Config& c, const store::Message& m) {
  const auto* view = c.serving(store::business_number(m.conversation));
  return view ? *view : c;
}

std::shared_ptr<infinity::TokenProvider> Providers::token_provider(const config::Config& c, std::uint64_t generation) {
  std::lock_guard lock(tokens_mutex_);
  if (tokens_generation_ != generation) {
    tokens_.clear();
    tokens_generation_ = generation;
  }
  auto& tokens = tokens_[c.tenant_name()];
  if (!tokens)
    tokens = std::make_shared<infinity::TokenProvider>(
        infinity::ClientCredentials{c.avaya_base_url(), c.str("avaya.clientId"), c.str("avaya.clientSecret")},
        timeouts_of(c));
  return tokens;
}

Providers::Clients::Tenant& Providers::clients_for(Clients& clients, const config::Config& c, std::uint64_t generation) {
  if (clients.generation != generation) {
    clients.tenants.clear();
    clients.generation = generation;
  }
  auto& t = clients.tenants[c.tenant_name()];
  if (!t.twilio) {
    t.twilio = std::make_unique<twilio::Client>(
        c.str("twilio.apiBaseUrl"),
        twilio::Credentials{c.str("twilio.account.sid"), c.str("twilio.account.authToken"), c.str("twilio.apiKey.sid"),
                            c.str("twilio.apiKey.secret")},
        timeouts_of(c));
    t.infinity = std::make_unique<infinity::Client>(
        infinity::SendOptions{c.avaya_base_url(), c.str("avaya.accountId"), c.str("avaya.sendMessagePath")},
        token_provider(c, generation), timeouts_of(c));
  }
  return t;
}

Result<std::string> Providers::send(const store::Message& m, const config::Config& c, std::uint64_t generation, Clients& all) {
  auto& clients = clients_for(all, c, generation);
  if (m.direction == Direction::inbound) {
    if (c.avaya_mock()) {
      spdlog::info("sent to Infinity (mock): message {} {}", m.id, m.source_id);
      if (spdlog::should_log(spdlog::level::debug)) {
        auto payload = nlohmann::json::parse(m.payload, nullptr, false);
        spdlog::debug("mock Infinity message {}: text {}", m.id,
                      log::text(payload.is_object() ? payload.value("/body/text"_json_pointer, std::string()) : ""));
      }
      return "mock";
    }
    return clients.infinity->send_message(m.payload);
  }
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object()) payload = nlohmann::json::object();  // sent as is: Twilio refuses it
  if (c.twilio_mock()) {
    spdlog::info("sent to Twilio (mock): message {} to {}", m.id, log::phone(payload.value("to", "")));
    spdlog::debug("mock Twilio message {}: text {}", m.id, log::text(payload.value("body", "")));
    return "mock";
  }
  twilio::OutgoingSms sms{payload.value("from", ""), payload.value("to", ""), payload.value("body", ""), {},
                          payload.value("statusCallback", "")};
  auto r = clients.twilio->send(sms);
  if (!r) return std::unexpected(r.error());
  auto parts = text::segments(sms.body);
  metrics::registry()
      .counter("infinity_sms_sms_segments_total", "SMS segments sent through Twilio, by encoding",
               {{"encoding", parts.encoding == text::Encoding::gsm7 ? "gsm7" : "ucs2"}})
      .inc(static_cast<std::int64_t>(parts.count));
  return r->sid;
}

Result<std::optional<std::chrono::system_clock::time_point>> Providers::check_infinity_token(const config::Config& c,
                                                                                              std::uint64_t generation) {
  if (c.avaya_mock()) return std::nullopt;
  if (auto why = blocked_reason(c, Direction::inbound); !why.empty()) return fail(ErrorKind::config, why);
  auto t = token_provider(c, generation)->get();
  if (!t) return std::unexpected(t.error());
  return t->expires_at;
}

}  // namespace sms::relay
