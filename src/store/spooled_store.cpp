// A shared store behind a local spool. A webhook must never be acknowledged before it is stored
// durably, and Twilio does not redeliver an inbound SMS webhook that failed: answering 503 while
// the database is unreachable would lose the end user's message. So when the shared store cannot
// be reached, the webhook goes into a local SQLite file (fsync'd before the answer) and a
// drainer moves it to the shared store, oldest first, when it returns. While anything is
// spooled, new webhooks queue behind it, so a conversation's order holds. A webhook that both the
// spool and the shared store saw is deduplicated by the shared store's unique key.
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "core/clock.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace sms::store {
namespace {

using sqlite::Failure;
using sqlite::Statement;
constexpr auto kDrainInterval = std::chrono::milliseconds(500);

nlohmann::json to_json(const std::vector<NewMessage>& messages) {
  auto out = nlohmann::json::array();
  for (const auto& m : messages)
    out.push_back({{"direction", to_string(m.direction)}, {"conversation", m.conversation}, {"sourceId", m.source_id}, {"payload", m.payload}});
  return out;
}

std::vector<NewMessage> from_json(const std::string& text) {
  std::vector<NewMessage> out;
  for (const auto& m : nlohmann::json::parse(text))
    out.push_back({parse_direction(m.at("direction").get<std::string>()).value_or(Direction::inbound), m.at("conversation"),
                   m.at("sourceId"), m.at("payload")});
  return out;
}

// The spool file: webhooks (dedupe key + messages) in arrival order.
class Spool {
 public:
  explicit Spool(const std::filesystem::path& file) : file_(file), db_(sqlite::open(file)) {
    sqlite::exec(db_, "CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, messages TEXT NOT NULL)");
  }
  ~Spool() { sqlite3_close(db_); }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::filesystem::path& file() const { return file_; }

  Enqueued push(const std::string& key, const std::vector<NewMessage>& messages) {
    Statement s(db_, "INSERT INTO spool(key, messages) VALUES(?1, ?2) ON CONFLICT(key) DO NOTHING");
    s.bind(1, key).bind(2, to_json(messages).dump()).step();
    return sqlite3_changes(db_) ? Enqueued::stored : Enqueued::duplicate;
  }

  struct Entry {
    std::int64_t id;
    std::string key;
    std::vector<NewMessage> messages;
  };
  std::optional<Entry> oldest() {
    Statement s(db_, "SELECT id, key, messages FROM spool ORDER BY id LIMIT 1");
    if (!s.step()) return std::nullopt;
    return Entry{s.integer(0), s.text(1), from_json(s.text(2))};
  }

  void remove(std::int64_t id) { Statement(db_, "DELETE FROM spool WHERE id = ?1").bind(1, id).step(); }

  void check_writable() { sqlite::exec(db_, "BEGIN IMMEDIATE; ROLLBACK;"); }

  std::int64_t size() {
    Statement s(db_, "SELECT COUNT(*) FROM spool");
    s.step();
    return s.integer(0);
  }

 private:
  std::filesystem::path file_;
  sqlite3* db_;
};

class SpooledStore final : public Store {
 public:
  SpooledStore(std::unique_ptr<Store> shared, const std::filesystem::path& spool_file)
      : shared_(std::move(shared)), spool_(spool_file), depth_(spool_.size()) {
    if (depth_ > 0) spdlog::warn("{} webhook(s) left in the spool {}; moving them to the shared store", depth_.load(), spool_file.string());
    drainer_ = std::thread([this] { drain_loop(); });
  }
  ~SpooledStore() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    drainer_.join();
  }

  const char* backend() const override { return shared_->backend(); }
  std::int64_t spooled() const override { return depth_; }

  Result<Enqueued> enqueue(const std::string& key, const std::vector<NewMessage>& messages) override {
    if (depth_ == 0) {
      auto r = shared_->enqueue(key, messages);
      if (r || r.error().kind != ErrorKind::network) return r;
      spdlog::warn("{}; keeping webhooks in the spool {} until it is back", r.error().message, spool_.file().string());
    }
    std::lock_guard lock(mutex_);
    try {
      auto r = spool_.push(key, messages);
      if (r == Enqueued::stored) ++depth_;  // the drainer looks every kDrainInterval
      return r;
    } catch (const Failure& e) {
      return fail(ErrorKind::internal, "spool " + spool_.file().string() + ": " + e.message);
    }
  }

  // Writable while either the shared store or the spool takes writes: a webhook is stored
  // durably either way, so the load balancer should keep sending.
  Result<void> check_writable() override {
    auto shared = shared_->check_writable();
    if (shared || shared.error().kind != ErrorKind::network) return shared;
    std::lock_guard lock(mutex_);
    try {
      spool_.check_writable();
      return {};
    } catch (const Failure& e) {
      return fail(ErrorKind::internal, shared.error().message + "; spool " + spool_.file().string() + ": " + e.message);
    }
  }

  Result<std::vector<Message>> claim_due(Direction d, std::int64_t now_ms, std::size_t limit, const NumberFilter& f) override {
    return shared_->claim_due(d, now_ms, limit, f);
  }
  Result<void> mark_sent(std::int64_t id, const std::string& provider_id) override { return shared_->mark_sent(id, provider_id); }
  Result<void> mark_retry(std::int64_t id, std::int64_t next_ms, const Error& e) override { return shared_->mark_retry(id, next_ms, e); }
  Result<void> mark_dead(std::int64_t id, const Error& e, const NoticeFor& n) override { return shared_->mark_dead(id, e, n); }
  Result<void> revise(std::int64_t id, const nlohmann::json& payload, const std::string& why,
                      const std::optional<Notice>& n) override {
    return shared_->revise(id, payload, why, n);
  }
  Result<void> release(const std::vector<std::int64_t>& ids, std::int64_t due_ms) override { return shared_->release(ids, due_ms); }
  Result<int> expire(Direction d, std::int64_t before, const NoticeFor& n) override { return shared_->expire(d, before, n); }
  Result<bool> record_status(const std::string& id, State s, const std::string& code, const NoticeFor& n) override {
    return shared_->record_status(id, s, code, n);
  }
  Result<int> make_due(Direction d, std::int64_t now_ms, const NumberFilter& f) override { return shared_->make_due(d, now_ms, f); }
  Result<int> requeue_in_flight() override { return shared_->requeue_in_flight(); }
  Result<std::vector<Message>> list(std::optional<State> s, std::size_t limit) override { return shared_->list(s, limit); }
  Result<std::optional<Message>> get(std::int64_t id) override { return shared_->get(id); }
  Result<std::vector<Message>> find_messages(const MessageFilter& f) override { return shared_->find_messages(f); }
  Result<std::vector<Attempt>> attempts(std::int64_t id) override { return shared_->attempts(id); }
  Result<int> retry(std::int64_t id) override { return shared_->retry(id); }
  Result<int> retry_all_dead() override { return shared_->retry_all_dead(); }
  Result<Purged> purge(std::int64_t before, std::size_t batch) override { return shared_->purge(before, batch); }
  Result<std::map<State, std::int64_t>> counts() override { return shared_->counts(); }
  Result<std::vector<NumberCount>> counts_by_number() override { return shared_->counts_by_number(); }
  Result<std::optional<std::int64_t>> oldest_queued_created_ms() override { return shared_->oldest_queued_created_ms(); }
  Result<void> add_opt_outs(const std::vector<OptOut>& o) override { return shared_->add_opt_outs(o); }
  Result<bool> remove_opt_out(const std::string& b, const std::string& e) override { return shared_->remove_opt_out(b, e); }
  Result<bool> opted_out(const std::string& b, const std::string& e) override { return shared_->opted_out(b, e); }
  Result<std::vector<OptOut>> list_opt_outs() override { return shared_->list_opt_outs(); }
  Result<std::int64_t> count_opt_outs() override { return shared_->count_opt_outs(); }
  Result<Slot> reserve_slot(const std::string& number, std::int64_t now_us, std::int64_t cost_us, std::int64_t window_us) override {
    return shared_->reserve_slot(number, now_us, cost_us, window_us);
  }
  Result<void> slow_down(const std::string& number, std::int64_t now_us, std::int64_t until_us) override {
    return shared_->slow_down(number, now_us, until_us);
  }

 private:
  // Moves spooled webhooks to the shared store, oldest first; stops at the first failure and
  // tries again later. A crash between the shared store's commit and the spool's delete repeats
  // the move, which the shared store's dedupe key turns into a no-op.
  void drain_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, kDrainInterval, [&] { return stopping_; });
      std::int64_t moved = 0;
      while (!stopping_ && depth_ > 0) {
        try {
          auto entry = spool_.oldest();
          if (!entry) break;
          lock.unlock();
          auto r = shared_->enqueue(entry->key, entry->messages);
          lock.lock();
          if (!r) {
            if (r.error().kind != ErrorKind::network) spdlog::error("cannot move a spooled webhook: {}", r.error().message);
            break;
          }
          spool_.remove(entry->id);
          --depth_;
          ++moved;
        } catch (const std::exception& e) {  // an entry that is not the JSON we wrote
          spdlog::error("spool {}: {}", spool_.file().string(), e.what());
          break;
        } catch (const Failure& e) {
          spdlog::error("spool {}: {}", spool_.file().string(), e.message);
          break;
        }
      }
      if (moved > 0) spdlog::info("moved {} spooled webhook(s) to the shared store; {} left", moved, depth_.load());
    }
  }

  std::unique_ptr<Store> shared_;
  Spool spool_;
  std::atomic<std::int64_t> depth_;
  std::mutex mutex_;  // the spool file's statements and stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread drainer_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_for_tools(const config::Config& config, const std::filesystem::path& data_dir) {
  auto url = config.str("store.url");
  if (url.empty()) return open_sqlite(data_dir / "outbox.db");
  auto lease = parse_duration(config.str("store.leaseTimeout")).value_or(std::chrono::minutes(1));
  return open_postgres(url, static_cast<int>(config.integer("store.poolSize")), lease);
}

Result<std::unique_ptr<Store>> open_for_serve(const config::Config& config, const std::filesystem::path& data_dir) {
  auto store = open_for_tools(config, data_dir);
  if (!store || config.str("store.url").empty()) return store;
  try {
    return std::unique_ptr<Store>(std::make_unique<SpooledStore>(std::move(*store), data_dir / "spool.db"));
  } catch (const Failure& e) {
    return fail(ErrorKind::internal, "spool " + (data_dir / "spool.db").string() + ": " + e.message);
  }
}

}  // namespace sms::store
