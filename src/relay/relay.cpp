// The delivery workers: claiming due messages per lane, handing them to the providers and
// recording each outcome (sent, retried with backoff or at the upstream's next probe, dead).
#include "relay/relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "compliance/notice.h"
#include "compliance/opt_out_register.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "relay/pacing.h"
#include "relay/retry_policy.h"
#include "relay/tenant_upstreams.h"
#include "relay/upstream_health.h"

namespace sms::relay {
namespace {

using store::Direction;
using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(100);  // how soon a retry that became due is noticed

std::chrono::milliseconds duration_of(const config::Config& c, std::string_view key) {
  return parse_duration(c.str(key)).value_or(std::chrono::seconds(1));
}

// "infinity", or "infinity (tenant acme)" for a named tenant's.
std::string upstream_label(Direction d, const config::Config& tenant) {
  if (tenant.tenant_name() == config::kDefaultTenant) return upstream_name(d);
  return std::string(upstream_name(d)) + " (tenant " + tenant.tenant_name() + ")";
}

}  // namespace

struct Relay::Impl {
  Impl(store::Store& s, config::LiveConfig& l) : store(s), live(l) {}

  // A message a worker took: a fresh claim, or one whose paced slot it already reserved.
  struct Taken {
    store::Message message;
    bool slot_reserved = false;
  };

  struct Lane {
    Direction direction;
    std::mutex mutex;
    std::condition_variable wake;
    bool pending = false;               // a worker is to look at the store (set after a commit)
    bool blocked = false;               // the last look could not claim: configuration, or a failing upstream
    bool claims_failing = false;        // the last claim failed (logged once, not every poll)
    bool claiming = false;              // a worker is claiming for the lane
    bool claim_again = false;           // new work was announced while it was
    bool polling = false;               // an idle worker looks again at the next poll (see idle)
    std::deque<store::Message> claimed;  // claimed (state sending), not yet taken by a worker
    PacedQueue paced;                    // outbound: claimed messages waiting for their number's slot
    std::vector<std::thread> workers;
    TenantUpstreams upstreams;           // each tenant's Infinity (inbound) or Twilio (outbound)
  };

  store::Store& store;
  config::LiveConfig& live;
  Lane lanes[2] = {{Direction::inbound, {}, {}, false, false, false, false, false, false, {}, {}, {}, {}},
                   {Direction::outbound, {}, {}, false, false, false, false, false, false, {}, {}, {}, {}}};
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> sent[2] = {0, 0}, retries{0}, dead{0}, expired{0};
  std::atomic<std::int64_t> last_sent_ms[2] = {0, 0};
  std::atomic<std::int64_t> last_expiry_ms{0};
  Throughput throughput;
  Providers providers;

  Lane& lane(Direction d) { return lanes[d == Direction::inbound ? 0 : 1]; }

  // Counters of final outcomes and retries, and the relay latency (accepted → delivered).
  static void count(Direction d, const char* outcome, std::int64_t n = 1) {
    metrics::registry()
        .counter("infinity_sms_messages_total", "Messages by direction and final state (sent, dead, expired) or retry",
                 {{"direction", store::to_string(d)}, {"outcome", outcome}})
        .inc(n);
  }

  // Writes a delivery's outcome. Until it is written the message stays claimed, and is sent again
  // once the claim is released or its lease runs out; so while the store is unreachable (a
  // database restart) keep trying, until serve stops.
  template <class Write>
  void record(Write write) {
    for (bool first = true;; first = false) {
      auto r = write();
      if (r) return;
      if (first) spdlog::error("{}", r.error().message);
      if (r.error().kind != ErrorKind::network || stopping) return;
      std::this_thread::sleep_for(kPoll * 5);
    }
  }

  // The agent's notice for an outbound message that failed for good (compliance/notice.h), which
  // the store keeps with the failure; the inbound workers are to be told once it is stored.
  static store::NoticeFor notice(const config::Config& c) {
    return [&c](const store::Message& failed) { return compliance::notice_for(failed, tenant_view(c, failed), iso8601_now()); };
  }

  // An agent's MMS whose delivery changes what it sends (relay/outbound_media.h): written before
  // the send that depends on it, with the agent's notice, whose inbound workers are told.
  Revise revise(const store::Message& m, const config::Config& tenant) {
    return [this, &m, &tenant](const nlohmann::json& payload, const std::string& reason, const std::string& code) {
      auto n = compliance::media_notice(m, reason, code, tenant, iso8601_now());
      Result<void> written;
      record([&] { return written = store.revise(m.id, payload, reason, n); });
      if (written && n) notify(Direction::inbound);
      return written;
    };
  }

  void deliver(const store::Message& m, const config::Config& c, std::uint64_t generation, std::mt19937_64& rng) {
    auto d = static_cast<int>(m.direction == Direction::inbound ? 0 : 1);
    // The ids that tie this delivery to the webhook it came from (source_id is the MessageSid
    // inbound, the eventId or messageId outbound).
    log::Scope ids({{"outboxId", std::to_string(m.id)},
                    {m.direction == Direction::inbound ? "messageSid" : "eventId", m.source_id}});
    const auto& tenant = tenant_view(c, m);
    Result<std::string> result = "";
    const auto sent_ms = unix_ms_now();
    if (auto refused = compliance::refusal(store, m, c)) result = std::unexpected(*refused);
    else result = providers.send(m, tenant, generation, revise(m, tenant));
    if (result) {
      ++sent[d];  // counted before the store write, so whoever sees the state sees the count
      last_sent_ms[d] = unix_ms_now();
      count(m.direction, "sent");
      throughput.record(m.direction, Throughput::Outcome::sent, last_sent_ms[d]);
      metrics::registry()
          .histogram("infinity_sms_relay_latency_seconds", "From accepting a webhook to the provider accepting the message",
                     {{"direction", store::to_string(m.direction)}})
          .observe(static_cast<double>(last_sent_ms[d] - m.created_ms) / 1000.0);
      record([&] { return store.mark_sent(m.id, *result); });
      answered(m.direction, tenant);
      log::Scope provider({{"providerId", *result}});  // the other side's id: Twilio's SID, Infinity's messageId
      spdlog::info("{} message {} ({}) delivered{}", store::to_string(m.direction), m.id, m.source_id,
                   result->empty() ? "" : " as " + *result);
      return;
    }
    // Twilio's error texts can name the end user's number: logged as the logs show numbers.
    auto conversation = std::string_view(m.conversation);
    auto why = log::numbers_hidden(result.error().message,
                                   {conversation.substr(0, conversation.find('|')), store::business_number(conversation)});
    const auto& e = result.error();
    if (is_final(e)) {
      ++dead;
      bool blocked = e.provider_code == "opted_out";
      count(m.direction, blocked ? "blocked" : "dead");
      throughput.record(m.direction, Throughput::Outcome::dead, unix_ms_now());
      spdlog::warn("{} message {} ({}) is dead: {}", store::to_string(m.direction), m.id, m.source_id, why);
      if (e.provider_code == "21610") compliance::opted_out_at_twilio(store, m);
      record([&] { return store.mark_dead(m.id, e, notice(c)); });
      if (m.direction == Direction::outbound) notify(Direction::inbound);  // its notice, if any
      if (!blocked) answered(m.direction, tenant);
      return;
    }
    ++retries;
    count(m.direction, "retry");
    auto now = unix_ms_now();
    std::optional<std::int64_t> due;
    if (m.direction == Direction::outbound && rate_limited(e) && send_cost_us(tenant, m) > 0) due = slowed_down(m, e, now);
    else if (upstream_failing(e)) due = failed(m, tenant, e, sent_ms, now, duration_of(c, "relay.probeInterval"));
    if (!due) {
      Backoff b{duration_of(c, "relay.retryInitial"), duration_of(c, "relay.retryMax")};
      due = now + retry_delay(b, m.attempts, e, rng).count();
    }
    spdlog::warn("{} message {} ({}) will be retried in {} ms: {}", store::to_string(m.direction), m.id, m.source_id,
                 *due - now, why);
    record([&] { return store.mark_retry(m.id, *due, e); });
  }

  // Twilio refused a paced number's send for its rate: the number slows down (store/pacing.h),
  // not Twilio as a whole, and the message is due again after any Retry-After, when its next
  // claim reserves the number's next, slower, slot.
  std::int64_t slowed_down(const store::Message& m, const Error& e, std::int64_t now_ms) {
    std::string number(store::business_number(m.conversation));
    auto due = now_ms + (e.retry_after ? e.retry_after->count() : 0);
    spdlog::warn("Twilio refused a send from {} for its rate: that number sends at a lower rate for a while", number);
    count_paced("slowed");
    if (auto r = store.slow_down(number, now_ms * 1000, due * 1000); !r) spdlog::error("{}", r.error().message);
    return due;
  }

  // Outbound sends are paced per business number (relay/pacing.h): whether `m` may go now. If
  // not, it waits in the lane for the slot it reserved (no worker waits with it), or, when its
  // number's next slot is beyond the window, goes back to the queue until then and the lane
  // claims none of that number's messages meanwhile.
  bool paced_now(Lane& l, store::Message& m, const config::Config& tenant) {
    if (m.direction != Direction::outbound) return true;
    auto cost = send_cost_us(tenant, m);
    if (cost == 0) return true;
    std::string number(store::business_number(m.conversation));
    auto now = unix_us_now();
    auto slot = store.reserve_slot(number, now, cost, kPaceWindowUs);
    if (!slot) {  // the store will not say: look again after a window
      spdlog::error("{}", slot.error().message);
      slot = store::Slot{false, now + kPaceWindowUs};
    }
    if (slot->granted && slot->at_us <= now) return true;
    auto id = m.id;
    {
      std::lock_guard lock(l.mutex);
      if (slot->granted) l.paced.hold(std::move(m), slot->at_us);
      else l.paced.skip(number, slot->at_us);
    }
    count_paced(slot->granted ? "held" : "deferred");
    if (slot->granted) l.wake.notify_all();  // the polling worker waits for the slot at most
    else record([&] { return store.release({id}, (slot->at_us + 999) / 1000); });
    return false;
  }

  static void count_paced(const char* event) {
    metrics::registry()
        .counter("infinity_sms_pacing_total",
                 "Agents' replies paced: held for their number's slot, deferred to the queue until it, or slowed by Twilio's 429",
                 {{"event", event}})
        .inc();
  }

  // An upstream-wide failure of a request sent at `sent_ms`: returns when the message is due
  // again if its upstream is now failing (its next probe) or has ended a failing period since
  // (now), else nullopt (the message's own backoff).
  std::optional<std::int64_t> failed(const store::Message& m, const config::Config& tenant, const Error& e, std::int64_t sent_ms,
                                     std::int64_t now, std::chrono::milliseconds interval) {
    auto& health = lane(m.direction).upstreams.of(tenant.tenant_name());
    bool was_failing = health.state().failing;
    auto due = health.failed(m.id, e, sent_ms, now, interval);
    if (!was_failing && health.failing())
      spdlog::warn("upstream {} is failing ({}): one delivery is tried every {} ms (never before a Retry-After) until it "
                   "answers; its {} messages wait in the outbox",
                   upstream_label(m.direction, tenant), e.message, interval.count(), store::to_string(m.direction));
    return due;
  }

  // The upstream answered: if that ends a failing period, every waiting conversation head is
  // due now (also those that failed with a backoff of their own: the first of the failing
  // period's failures, or those of a process killed during it), and the lane's workers claim at once.
  void answered(Direction d, const config::Config& tenant) {
    auto& l = lane(d);
    auto now = unix_ms_now();
    auto down = l.upstreams.of(tenant.tenant_name()).answered(now);
    if (!down) return;
    spdlog::info("upstream {} answers again after {} ms of failures: its waiting {} messages go out now", upstream_label(d, tenant),
                 down->count(), store::to_string(d));
    if (auto r = store.make_due(d, now, conversations_of(tenant, *live.get())); !r) spdlog::error("{}", r.error().message);
    {
      std::lock_guard lock(l.mutex);
      l.pending = true;
      l.blocked = false;
    }
    l.wake.notify_all();
  }

  // Wakes a worker only when no look at the store is already owed: at thousands of webhooks a
  // second, a wake-up per webhook (each a context switch) cost more than the relay's own work.
  // A claim in progress hands the look on when it is done (claim_again); a blocked lane is looked
  // at again at the next poll, when the configuration may have changed.
  void notify(Direction direction) {
    auto& l = lane(direction);
    {
      std::lock_guard lock(l.mutex);
      if (l.claiming) {
        l.claim_again = true;
        return;
      }
      bool owed = l.pending;
      l.pending = true;
      if (owed || l.blocked) return;
    }
    l.wake.notify_one();
  }

  void expire_stale(const config::Config& c) {
    auto now = unix_ms_now();
    auto last = last_expiry_ms.load();
    if (now - last < 1000 || !last_expiry_ms.compare_exchange_strong(last, now)) return;
    for (auto d : {Direction::inbound, Direction::outbound}) {
      auto age = duration_of(c, d == Direction::inbound ? "relay.inboundMaxAge" : "relay.outboundMaxAge");
      auto n = store.expire(d, now - age.count(), d == Direction::outbound ? notice(c) : store::NoticeFor());
      if (n && *n > 0) {
        expired += *n;
        count(d, "expired", *n);
        if (d == Direction::outbound) notify(Direction::inbound);  // their notices
        spdlog::warn("{} {} message(s) expired undelivered (older than {} ms)", *n, store::to_string(d), age.count());
      }
    }
  }

  // The next message for a worker: one already claimed for the lane, else a fresh claim of up to
  // relay.concurrency conversation heads (one query for several workers), the rest left for the
  // lane's other workers. Claimed messages are heads of distinct conversations, so they may be
  // delivered in parallel; any left when serve stops are released for the next claim. One worker
  // claims at a time: a second claim at once would find only what the first left.
  std::optional<Taken> take(Lane& l, const config::Config& c) {
    {
      std::lock_guard lock(l.mutex);
      if (auto m = l.paced.due(unix_us_now())) return Taken{std::move(*m), true};
      if (!l.claimed.empty()) {
        auto m = std::move(l.claimed.front());
        l.claimed.pop_front();
        return Taken{std::move(m), false};
      }
      if (l.claiming) {
        l.claim_again = true;  // what woke this worker may have come after that claim's query
        return std::nullopt;
      }
      l.claiming = true;
    }
    std::optional<Result<std::vector<store::Message>>> r;
    auto now = unix_ms_now();
    auto plan = l.upstreams.plan(c, l.direction, now);
    {
      std::lock_guard lock(l.mutex);
      l.paced.exclude_skipped(plan.filter, now * 1000);
    }
    bool blocked = plan.limit == 0;
    if (!blocked) r = store.claim_due(l.direction, now, plan.limit, plan.filter);
    if (r && *r && !plan.probing.empty())
      if (auto back = keep_one_probe_each(**r, plan.probing, c); !back.empty()) record([&] { return store.release(back, 0); });
    std::lock_guard lock(l.mutex);
    l.claiming = false;
    l.blocked = blocked;
    if (l.claim_again) {  // hand the announcement on: the next free worker claims again
      l.claim_again = false;
      l.pending = true;
      l.wake.notify_one();
    }
    if (!r) return std::nullopt;
    if (*r && l.claims_failing) spdlog::info("{} deliveries resumed: the store answers again", store::to_string(l.direction));
    else if (!*r && !l.claims_failing) spdlog::error("{} deliveries paused: {}", store::to_string(l.direction), r->error().message);
    l.claims_failing = !*r;
    if (!*r || (*r)->empty()) return std::nullopt;
    auto& claimed = **r;
    for (std::size_t i = 1; i < claimed.size(); ++i) l.claimed.push_back(std::move(claimed[i]));
    if (claimed.size() > 1) l.wake.notify_all();
    return Taken{std::move(claimed.front()), false};
  }

  // Waits until the lane may have work: a commit announced some, a claim left messages for the
  // lane's workers, or serve stops. One idle worker per lane also looks again after a poll (for
  // retries that became due, or a lane that a configuration change unblocked); the others sleep
  // until woken, and one of them takes that role when it comes free. Every idle worker polling
  // cost two context switches each per poll, and 62 claims a second from an idle serve.
  void idle(Lane& l) {
    std::unique_lock lock(l.mutex);
    auto held_due = [&] {
      auto at = l.paced.next_us();
      return at && *at <= unix_us_now();
    };
    auto ready = [&] { return l.pending || !l.claimed.empty() || stopping || held_due(); };
    while (!ready()) {
      if (l.polling) {
        l.wake.wait(lock, [&] { return ready() || !l.polling; });
        continue;
      }
      l.polling = true;
      // Until the poll, or sooner a held message's slot.
      for (auto poll = Clock::now() + kPoll; !ready() && Clock::now() < poll;) {
        auto until = poll;
        if (auto at = l.paced.next_us()) until = std::min(until, Clock::now() + std::chrono::microseconds(*at - unix_us_now()));
        l.wake.wait_until(lock, until);
      }
      l.polling = false;
      l.wake.notify_one();  // a sleeping worker takes the role
      break;
    }
    l.pending = false;
  }

  void worker(Lane& l) {
    std::mt19937_64 rng(std::random_device{}());
    while (!stopping) {
      auto generation = live.generation();
      auto c = live.get();
      expire_stale(*c);
      auto m = take(l, *c);
      if (!m) {
        idle(l);
        continue;
      }
      if (!m->slot_reserved && !paced_now(l, m->message, tenant_view(*c, m->message))) continue;
      deliver(m->message, *c, generation, rng);
      // The conversation's next message is now due: this worker's next take() claims it.
    }
  }
};

Relay::Relay(store::Store& store, config::LiveConfig& config) : impl_(std::make_unique<Impl>(store, config)) {}

Relay::~Relay() { stop(); }

Result<void> Relay::start() {
  auto n = impl_->store.requeue_in_flight();
  if (!n) return std::unexpected(n.error());
  if (*n > 0) spdlog::info("{} message(s) in flight at the last stop will be retried", *n);
  // What waits for a retry is tried at once: the upstream's state is not known yet, and a
  // restart during an outage must not leave a conversation behind its head's long backoff.
  for (auto d : {Direction::inbound, Direction::outbound}) {
    auto due = impl_->store.make_due(d, unix_ms_now(), {});
    if (!due) return std::unexpected(due.error());
    if (*due > 0) spdlog::info("{} {} message(s) waiting for a retry are due now", *due, store::to_string(d));
  }
  auto workers = static_cast<int>(impl_->live.get()->integer("relay.concurrency"));
  for (auto& l : impl_->lanes)
    for (int i = 0; i < workers; ++i) l.workers.emplace_back([this, &l] { impl_->worker(l); });
  return {};
}

void Relay::notify(store::Direction direction) { impl_->notify(direction); }

void Relay::stop() {
  impl_->stopping = true;
  for (auto& l : impl_->lanes) {
    {
      std::lock_guard lock(l.mutex);
      l.pending = true;
    }
    l.wake.notify_all();
  }
  for (auto& l : impl_->lanes) {
    for (auto& t : l.workers)
      if (t.joinable()) t.join();
    l.workers.clear();
    auto unsent = l.paced.take_all();
    for (const auto& m : l.claimed) unsent.push_back(m.id);
    l.claimed.clear();
    if (unsent.empty()) continue;
    if (auto r = impl_->store.release(unsent, 0); !r) spdlog::error("{}", r.error().message);
  }
}

const Throughput& Relay::throughput() const { return impl_->throughput; }

Stats Relay::stats() const {
  Stats s;
  s.sent_inbound = impl_->sent[0];
  s.sent_outbound = impl_->sent[1];
  s.retries = impl_->retries;
  s.dead = impl_->dead;
  s.expired = impl_->expired;
  if (auto t = impl_->last_sent_ms[0].load()) s.last_sent_inbound_ms = t;
  if (auto t = impl_->last_sent_ms[1].load()) s.last_sent_outbound_ms = t;
  return s;
}

std::string Relay::blocked_reason(store::Direction direction) const {
  auto c = impl_->live.get();
  for (const auto& name : c->tenant_names())
    if (auto why = relay::blocked_reason(*c->tenant(name), direction); !why.empty()) return why;
  return "";
}

UpstreamState Relay::upstream(store::Direction direction) const {
  auto c = impl_->live.get();
  for (const auto& name : c->tenant_names())
    if (auto s = impl_->lane(direction).upstreams.of(name).state(); s.failing) return s;
  return {};
}

UpstreamState Relay::upstream(store::Direction direction, std::string_view tenant) const {
  return impl_->lane(direction).upstreams.of(tenant).state();
}

Result<std::optional<std::chrono::system_clock::time_point>> Relay::check_infinity_token(std::string_view tenant) {
  auto c = impl_->live.get();
  const auto* view = c->tenant(tenant);
  if (!view) return fail(ErrorKind::config, "no tenant " + std::string(tenant));
  return impl_->providers.check_infinity_token(*view, impl_->live.generation());
}

Result<std::optional<std::chrono::system_clock::time_point>> Relay::check_infinity_token() {
  auto c = impl_->live.get();
  std::optional<std::chrono::system_clock::time_point> soonest;
  for (const auto& name : c->tenant_names()) {
    auto t = impl_->providers.check_infinity_token(*c->tenant(name), impl_->live.generation());
    if (!t && name != config::kDefaultTenant) {
      auto e = t.error();
      e.message = "tenant " + name + ": " + e.message;
      return std::unexpected(e);
    }
    if (!t) return t;
    if (*t && (!soonest || **t < *soonest)) soonest = *t;
  }
  return soonest;
}

}  // namespace sms::relay
