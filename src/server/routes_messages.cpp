// The outbox on the admin API, behind the admin token: pages of messages with filters, one
// message with its attempts, and queuing dead letters again (what `outbox retry` does).
#include <spdlog/spdlog.h>

#include <charconv>
#include <variant>

#include "core/clock.h"
#include "core/log.h"
#include "core/phone.h"
#include "relay/providers.h"
#include "server/routes.h"
#include "store/dead_letters.h"

namespace sms::server {
namespace {

constexpr std::size_t kMaxLimit = 500;
constexpr std::size_t kMaxText = 100;

Response invalid_parameter(std::string_view name, const std::string& why) {
  return error_response(400, "invalid_parameter", std::string(name) + ": " + why);
}

Response unreadable(const Error& error) {
  spdlog::error("store: outbox: {}", error.message);
  return error_response(503, "store_unavailable", "the outbox could not be reached; nothing was changed");
}

// The value quoted in an error, cut short.
std::string quoted(const std::string& value) { return "'" + (value.size() > 20 ? value.substr(0, 20) + "..." : value) + "'"; }

// A whole number from min to max, or nullopt.
std::optional<std::int64_t> whole_number(const std::string& s, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::string iso(std::int64_t unix_ms) { return iso8601(SysTime(std::chrono::milliseconds(unix_ms))); }

// What the page shows, unless `reveal`: end users' and business numbers as the logs write them
// (log::phone), in the conversation and wherever an error or attempt names them.
struct Redaction {
  std::string end_user, business;
  bool reveal = false;

  Redaction(const store::Message& m, bool reveal_) : reveal(reveal_) {
    auto bar = m.conversation.find('|');
    end_user = m.conversation.substr(0, bar);
    if (bar != std::string::npos) business = m.conversation.substr(bar + 1);
  }

  std::string shown(const std::string& number) const { return reveal ? number : log::phone(number); }
  std::string conversation() const { return shown(end_user) + "|" + shown(business); }
  // `text` with each of the two numbers replaced by shown(it).
  std::string operator()(std::string text) const { return reveal ? text : log::numbers_hidden(std::move(text), {end_user, business}); }
};

nlohmann::json message_json(const store::Message& m, const config::Config& config, bool reveal) {
  Redaction redact(m, reveal);
  return {{"id", m.id},
          {"direction", store::to_string(m.direction)},
          {"state", store::to_string(m.state)},
          {"conversation", redact.conversation()},
          {"tenant", relay::tenant_view(config, m).tenant_name()},
          {"sourceId", m.source_id},
          {"attempts", m.attempts},
          {"createdAt", iso(m.created_ms)},
          {"updatedAt", iso(m.updated_ms)},
          {"nextAttemptAt", iso(m.next_attempt_ms)},
          {"providerId", m.provider_id},
          {"lastError", redact(m.last_error)},
          {"providerCode", m.provider_code}};
}

// ?reveal=true|false (default false).
std::optional<bool> reveal_of(const std::string& value) {
  if (value == "true") return true;
  if (value == "false" || value.empty()) return false;
  return std::nullopt;
}

// GET /api/messages?direction=&state=&number=&q=&limit=&before=&reveal=
Response page(AppState& state, const Request& request) {
  store::MessageFilter filter;
  bool reveal = false;
  for (const auto& [name, value] : request.query_values()) {
    if (name == "direction") {
      if (!(filter.direction = store::parse_direction(value))) return invalid_parameter(name, quoted(value) + " is not inbound or outbound");
    } else if (name == "state") {
      if (!(filter.state = store::parse_state(value)))
        return invalid_parameter(name, quoted(value) + " is not a state (queued, sending, sent, delivered, failed, dead, expired)");
    } else if (name == "number") {
      if (!is_e164(value)) return invalid_parameter(name, quoted(value) + " is not an E.164 number (+ and up to 15 digits; %2B for +)");
      filter.number = value;
    } else if (name == "q") {
      if (value.size() > kMaxText) return invalid_parameter(name, "at most " + std::to_string(kMaxText) + " characters");
      filter.text = value;
    } else if (name == "limit") {
      auto n = whole_number(value, 1, kMaxLimit);
      if (!n) return invalid_parameter(name, quoted(value) + " is not a number from 1 to " + std::to_string(kMaxLimit));
      filter.limit = static_cast<std::size_t>(*n);
    } else if (name == "before") {
      auto id = whole_number(value, 1, INT64_MAX);
      if (!id) return invalid_parameter(name, quoted(value) + " is not a message id (the previous page's next)");
      filter.before_id = *id;
    } else if (name == "reveal") {
      auto r = reveal_of(value);
      if (!r) return invalid_parameter(name, quoted(value) + " is not true or false");
      reveal = *r;
    } else {
      return invalid_parameter(quoted(name), "unknown parameter (direction, state, number, q, limit, before, reveal)");
    }
  }
  const auto limit = filter.limit;
  ++filter.limit;  // one more than shown tells whether there is a next page
  auto messages = state.store.find_messages(filter);
  if (!messages) return unreadable(messages.error());
  nlohmann::json next = nullptr;
  if (messages->size() > limit) {
    messages->resize(limit);
    next = messages->back().id;
  }
  auto config = state.live.get();
  auto out = nlohmann::json::array();
  for (const auto& m : *messages) out.push_back(message_json(m, *config, reveal));
  return json_response(200, {{"messages", std::move(out)}, {"next", next}});
}

// The {id} of the path, or the 400 answering it.
std::variant<std::int64_t, Response> id_of(const Request& request) {
  const auto& segment = request.path_params.at(0);
  if (auto id = whole_number(segment, 1, INT64_MAX)) return *id;
  return invalid_parameter("id", quoted(segment) + " is not a message id");
}

Response message_not_found(std::int64_t id) {
  return error_response(404, "message_not_found", "no message " + std::to_string(id) + " in the outbox");
}

// GET /api/messages/{id}?reveal=
Response one(AppState& state, const Request& request) {
  auto id = id_of(request);
  if (auto* bad = std::get_if<Response>(&id)) return *bad;
  auto reveal = reveal_of(request.query_value("reveal").value_or(""));
  if (!reveal) return invalid_parameter("reveal", quoted(*request.query_value("reveal")) + " is not true or false");
  auto m = state.store.get(std::get<std::int64_t>(id));
  if (!m) return unreadable(m.error());
  if (!*m) return message_not_found(std::get<std::int64_t>(id));
  auto history = state.store.attempts((*m)->id);
  if (!history) return unreadable(history.error());
  Redaction redact(**m, *reveal);
  auto body = message_json(**m, *state.live.get(), *reveal);
  body["attemptHistory"] = nlohmann::json::array();
  for (const auto& a : *history)
    body["attemptHistory"].push_back({{"at", iso(a.at_ms)}, {"outcome", a.outcome}, {"detail", redact(a.detail)}});
  return json_response(200, body);
}

// POST /api/messages/{id}/retry
Response retry(AppState& state, const Request& request) {
  auto id = id_of(request);
  if (auto* bad = std::get_if<Response>(&id)) return *bad;
  auto m = store::retry_message(state.store, std::get<std::int64_t>(id));
  if (!m) {
    if (m.error().kind == ErrorKind::not_found) return message_not_found(std::get<std::int64_t>(id));
    if (m.error().kind == ErrorKind::invalid_input) return error_response(409, "not_retryable", m.error().message);
    return unreadable(m.error());
  }
  state.relay.notify(m->direction);  // due now: the workers need not wait for their next poll
  spdlog::info("audit: message {} queued again from {} (request {})", m->id, request.remote_addr, request.request_id);
  return json_response(200, {{"retried", 1}});
}

// POST /api/messages/retry-dead
Response retry_dead(AppState& state, const Request& request) {
  auto n = state.store.retry_all_dead();
  if (!n) return unreadable(n.error());
  for (auto d : {store::Direction::inbound, store::Direction::outbound}) state.relay.notify(d);
  spdlog::info("audit: {} dead message(s) queued again from {} (request {})", *n, request.remote_addr, request.request_id);
  return json_response(200, {{"retried", *n}});
}

}  // namespace

void add_message_routes(Router& router, AppState& state) {
  router.add("GET", "/api/messages", with_admin_token(state, [&state](const Request& r) { return page(state, r); }));
  router.add("GET", "/api/messages/{id}", with_admin_token(state, [&state](const Request& r) { return one(state, r); }));
  router.add("POST", "/api/messages/{id}/retry", with_admin_token(state, [&state](const Request& r) { return retry(state, r); }));
  router.add("POST", "/api/messages/retry-dead", with_admin_token(state, [&state](const Request& r) { return retry_dead(state, r); }));
}

}  // namespace sms::server
