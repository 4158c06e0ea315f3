// Purging finished messages and old dedupe keys: outbox purge and serve's background retention.
#include "store/retention.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace sms::store {
namespace {

// Between two steps of serve's purge: each step's delete joins the webhooks' group commit.
constexpr std::chrono::milliseconds kStepPause{20};

}  // namespace

Result<Purged> purge_all(Store& store, std::int64_t before_ms, const std::function<bool()>& between_steps) {
  Purged total;
  for (;;) {
    auto step = store.purge(before_ms, kPurgeBatch);
    if (!step) return std::unexpected(step.error());
    total.messages += step->messages;
    total.keys += step->keys;
    if (step->messages < static_cast<std::int64_t>(kPurgeBatch) && step->keys < static_cast<std::int64_t>(kPurgeBatch))
      return total;
    if (between_steps && !between_steps()) return total;
  }
}

Retention::Retention(Store& store, const config::LiveConfig& live, std::chrono::milliseconds interval)
    : store_(store), live_(live), interval_(interval) {}

Retention::~Retention() { stop(); }

void Retention::start() { thread_ = std::thread([this] { run(); }); }

void Retention::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Retention::sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [&] { return stopping_; });
}

void Retention::run() {
  do {
    auto retention = parse_duration(live_.get()->str("store.retention")).value_or(std::chrono::milliseconds(0));
    if (retention.count() == 0) continue;
    auto purged = purge_all(store_, unix_ms_now() - retention.count(), [&] { return sleep(kStepPause); });
    if (!purged) spdlog::warn("retention: purge failed, trying again later: {}", purged.error().message);
    else if (purged->messages > 0 || purged->keys > 0)
      spdlog::info("retention: purged {} finished message(s) and {} dedupe key(s) older than {}", purged->messages,
                   purged->keys, live_.get()->str("store.retention"));
  } while (sleep(interval_));
}

}  // namespace sms::store
