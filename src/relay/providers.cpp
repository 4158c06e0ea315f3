// Delivery to the providers: Infinity and Twilio clients built from the configuration, and
// their mock modes.
#include "relay/providers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/text.h"
#include "relay/media.h"

namespace sms::relay {
namespace {

using store::Direction;

http::Timeouts timeouts_of(const config::Config& c) {
  auto t = parse_duration(c.str("relay.upstreamTimeout")).value_or(std::chrono::seconds(15));
  return {std::min(t, std::chrono::milliseconds(5000)), t, t};
}

std::unique_ptr<twilio::Client> make_twilio(const config::Config& c) {
  return std::make_unique<twilio::Client>(
      c.str("twilio.apiBaseUrl"),
      twilio::Credentials{c.str("twilio.account.sid"), c.str("twilio.account.authToken"), c.str("twilio.apiKey.sid"),
                          c.str("twilio.apiKey.secret")},
      timeouts_of(c));
}

// INFERRED: an attachment's integrationId, for uploads and download links alike, is the
// connector's id (infinity-api.md §5 names it for the messaging channel only; an SMS number may
// have none).
std::string integration_id(const config::Config& c) { return c.str("avaya.connectorId"); }

}  // namespace

const char* upstream_name(store::Direction d) { return d == Direction::inbound ? "infinity" : "twilio"; }

std::string blocked_reason(const config::Config& c, store::Direction d) {
  return d == Direction::inbound ? config::missing_infinity_settings(c) : config::missing_twilio_settings(c);
}

const config::Config& tenant_view(const config::Config& c, const store::Message& m) {
  const auto* view = c.serving(store::business_number(m.conversation));
  return view ? *view : c;
}

Providers::Idle& Providers::idle_locked(const config::Config& c, std::uint64_t generation) {
  if (!generation_ || generation > *generation_) {
    idle_.clear();
    generation_ = generation;
  }
  auto& idle = idle_[c.tenant_name()];
  if (!idle.tokens)
    idle.tokens = std::make_shared<infinity::TokenProvider>(
        infinity::ClientCredentials{c.avaya_base_url(), c.str("avaya.clientId"), c.str("avaya.clientSecret")},
        timeouts_of(c));
  return idle;
}

template <class Client, class Make, class Use>
auto Providers::lend(std::vector<std::unique_ptr<Client>> Idle::*shelf, const config::Config& c, std::uint64_t generation,
                     Make make, Use use) -> decltype(use(std::declval<Client&>())) {
  std::unique_ptr<Client> client;
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_locked(c, generation).*shelf;
    if (generation == generation_ && !idle.empty()) {  // a delivery with an older configuration gets a client of its own
      client = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (!client) client = make();
  auto result = use(*client);
  std::lock_guard lock(mutex_);
  if (generation == generation_) (idle_locked(c, generation).*shelf).push_back(std::move(client));
  return result;
}

std::shared_ptr<infinity::TokenProvider> Providers::tokens_of(const config::Config& c, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  return idle_locked(c, generation).tokens;
}

template <class Use>
auto Providers::lend_infinity(const config::Config& c, std::uint64_t generation, Use use) {
  auto tokens = tokens_of(c, generation);
  return lend(
      &Idle::infinity, c, generation,
      [&] {
        return std::make_unique<infinity::Client>(
            infinity::SendOptions{c.avaya_base_url(), c.str("avaya.accountId"), c.str("avaya.sendMessagePath")}, tokens,
            timeouts_of(c));
      },
      use);
}

Result<std::string> Providers::send_to_infinity(const store::Message& m, const config::Config& c, std::uint64_t generation) {
  return lend_infinity(c, generation, [&](infinity::Client& client) -> Result<std::string> {
    // Most messages carry no media: sent as stored, without parsing them.
    if (m.payload.find(kMediaField) == std::string::npos) return client.send_message(m.payload);
    auto stored = nlohmann::json::parse(m.payload, nullptr, false);
    if (!stored.is_object() || !stored.contains(kMediaField)) return client.send_message(m.payload);
    MediaTransport transport{
        [&](const std::string& url) {
          return lend(&Idle::twilio, c, generation, [&] { return make_twilio(c); }, [&](twilio::Client& twilio) {
            return twilio.fetch_media(url, static_cast<std::size_t>(c.integer("relay.maxMediaBytes")));
          });
        },
        [&](const infinity::Attachment& a) { return client.upload_attachment(a, integration_id(c)); }};
    auto payload = attach_media(std::move(stored), m.attempts, transport);
    if (!payload) return std::unexpected(payload.error());
    return client.send_message(payload->dump());
  });
}

Result<std::string> Providers::send_to_twilio(const store::Message& m, const config::Config& c, std::uint64_t generation,
                                              const Revise& revise) {
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object()) payload = nlohmann::json::object();  // sent as is: Twilio refuses it
  if (c.twilio_mock()) {
    spdlog::info("sent to Twilio (mock): message {} to {}", m.id, log::phone(payload.value("to", "")));
    spdlog::debug("mock Twilio message {}: text {}", m.id, log::text(payload.value("body", "")));
    return "mock";
  }
  twilio::OutgoingSms sms{payload.value("from", ""), payload.value("to", ""), payload.value("body", ""), {},
                          payload.value("statusCallback", "")};
  auto send = [&](const twilio::OutgoingSms& out) -> Result<std::string> {
    auto sent = lend(&Idle::twilio, c, generation, [&] { return make_twilio(c); },
                     [&](twilio::Client& client) { return client.send(out); });
    if (!sent) return std::unexpected(sent.error());
    if (out.media_urls.empty()) {  // an MMS is not billed by segments
      auto parts = text::segments(out.body);
      metrics::registry()
          .counter("infinity_sms_sms_segments_total", "SMS segments sent through Twilio, by encoding",
                   {{"encoding", parts.encoding == text::Encoding::gsm7 ? "gsm7" : "ucs2"}})
          .inc(static_cast<std::int64_t>(parts.count));
    }
    return sent->sid;
  };
  if (!payload.contains(kAttachmentsField)) return send(sms);
  auto link = [&](const std::string& attachment_id) -> Result<std::string> {
    if (c.avaya_mock()) return fail(ErrorKind::permanent, "Infinity is in mock mode: it has no attachments to link to");
    return lend_infinity(c, generation,
                         [&](infinity::Client& client) { return client.attachment_link(attachment_id, integration_id(c)); });
  };
  return send_with_attachments(std::move(payload), std::move(sms), {link, send, revise});
}

Result<std::string> Providers::send(const store::Message& m, const config::Config& c, std::uint64_t generation,
                                    const Revise& revise) {
  if (m.direction == Direction::outbound) return send_to_twilio(m, c, generation, revise);
  if (c.avaya_mock()) {
    spdlog::info("sent to Infinity (mock): message {} {}", m.id, m.source_id);
    if (spdlog::should_log(spdlog::level::debug)) {
      auto payload = nlohmann::json::parse(m.payload, nullptr, false);
      spdlog::debug("mock Infinity message {}: text {}", m.id,
                    log::text(payload.is_object() ? payload.value("/body/text"_json_pointer, std::string()) : ""));
    }
    return "mock";
  }
  return send_to_infinity(m, c, generation);
}

Result<std::optional<std::chrono::system_clock::time_point>> Providers::check_infinity_token(const config::Config& c,
                                                                                              std::uint64_t generation) {
  if (c.avaya_mock()) return std::nullopt;
  if (auto why = blocked_reason(c, Direction::inbound); !why.empty()) return fail(ErrorKind::config, why);
  auto t = tokens_of(c, generation)->get();
  if (!t) return std::unexpected(t.error());
  return t->expires_at;
}

}  // namespace sms::relay
