// The durable outbox: every webhook's messages are stored here before the webhook is answered,
// and delivered from here by the relay workers. An interface, so that a shared backend can be
// added beside the embedded SQLite one.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/result.h"
#include "store/pacing.h"

namespace sms::store {

// inbound: end user → Twilio → us → Infinity.  outbound: agent → Infinity → us → Twilio.
enum class Direction { inbound, outbound };
const char* to_string(Direction d);
std::optional<Direction> parse_direction(std::string_view s);

// queued → sending → sent → delivered | failed;  sending → queued (retry) | dead (permanent);
// queued → expired (too old).  delivered, failed, dead, expired are final.
enum class State { queued, sending, sent, delivered, failed, dead, expired };
const char* to_string(State s);
std::optional<State> parse_state(std::string_view s);

struct NewMessage {
  Direction direction = Direction::inbound;
  std::string conversation;  // ordering key: "<end-user number>|<business number>"
  std::string source_id;     // MessageSid (inbound) or eventId/messageId (outbound): for tracing
  nlohmann::json payload;    // what the worker sends (Infinity AsyncMessage / Twilio SMS fields)
};

struct Message {
  std::int64_t id = 0;
  Direction direction = Direction::inbound;
  State state = State::queued;
  std::string conversation;
  std::string source_id;
  std::string payload;  // the NewMessage's payload as JSON text, sent as it is to Infinity
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::string provider_id;    // Twilio sid / Infinity messageId once accepted ("mock" in mock mode)
  std::string last_error;     // "" or a one-line description
  std::string provider_code;  // "" or the provider's error code (e.g. "21610")
};

struct Attempt {
  std::int64_t at_ms = 0;
  std::string outcome;  // "sent", "retry", "dead", "expired", "revised", "status:<twilio status>"
  std::string detail;   // error message or provider id
};

enum class Enqueued { stored, duplicate };

// A message that tells the agent an outbound message will not reach the customer (compliance/
// notice.h builds it): an inbound message stored in the same transaction as the outcome that
// causes it, under its own dedupe key, so that the outcome and its notice are durable together
// and a second outcome for the same message (a repeated status callback) stores no second one.
struct Notice {
  std::string dedupe_key;
  NewMessage message;
};
// The notice for a message that has just failed for good (as it is after the update), or nullopt
// for none. An empty function stores none.
using NoticeFor = std::function<std::optional<Notice>(const Message& failed)>;

// An end user who asked a business number to send them nothing more (STOP): the opt-out
// register, keyed by (business_number, end_user_number).
struct OptOut {
  std::string business_number;  // our Twilio number, E.164
  std::string end_user_number;  // E.164
  std::int64_t since_ms = 0;
  std::string source;   // "keyword", "OptOutType", "twilio", "status-callback", "operator", "import"
  std::string keyword;  // what the end user sent (STOP, UNSUBSCRIBE...), "" when none
};

// Which conversations a claim or make_due concerns, by business number (the part of the
// conversation key after '|'): every one, only those of `numbers`, or all but those. The relay
// keeps one tenant's failing upstream from holding up the others' messages with it.
struct NumberFilter {
  enum class Mode { all, only, except } mode = Mode::all;
  std::vector<std::string> numbers;
  bool admits(std::string_view conversation) const;
};

// The business number of a conversation key ("<end user>|<business number>").
std::string_view business_number(std::string_view conversation);

// One business number's messages in one state: how many, and (queued and sending only, else 0)
// the oldest one's creation time.
struct NumberCount {
  std::string business_number;
  State state = State::queued;
  std::int64_t count = 0;
  std::int64_t oldest_created_ms = 0;
};

// Which messages an operator's page of the outbox shows (the admin API): each filter given
// narrows it; newest first, `limit` of them with an id below `before_id` (keyset paging: the
// next page starts below the last id of this one).
struct MessageFilter {
  std::optional<Direction> direction;
  std::optional<State> state;
  std::string number;  // "" or a number: the conversation's end user or business number, whole
  std::string text;    // "" or part of the source id or provider id, or the whole outbox id
  std::int64_t before_id = INT64_MAX;
  std::size_t limit = 50;
  // The outbox id `text` names when it is all digits, else 0 (no message has it).
  std::int64_t text_id() const;
};

struct Purged {
  std::int64_t messages = 0, keys = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual const char* backend() const = 0;

  // Claims dedupe_key and stores `messages` (one webhook's parts or recipients, in order) in
  // one transaction. If the key was claimed before, stores nothing and returns duplicate.
  // Durable when it returns (the caller may acknowledge the webhook).
  virtual Result<Enqueued> enqueue(const std::string& dedupe_key,
                                   const std::vector<NewMessage>& messages) = 0;

  // Claims up to `limit` due messages of one direction and marks them sending: state queued,
  // next_attempt_ms <= now_ms, and no earlier message of the same conversation and direction
  // still queued or sending (per-conversation FIFO). Oldest first. Never two of one
  // conversation in one batch.
  // Only conversations `filter` admits are claimed.
  virtual Result<std::vector<Message>> claim_due(Direction direction, std::int64_t now_ms, std::size_t limit,
                                                 const NumberFilter& filter) = 0;

  // Outcomes of a delivery attempt; each records an Attempt and bumps `attempts`.
  virtual Result<void> mark_sent(std::int64_t id, const std::string& provider_id) = 0;
  virtual Result<void> mark_retry(std::int64_t id, std::int64_t next_attempt_ms,
                                  const Error& error) = 0;
  // dead also stores notice(the dead message), if any, in the same transaction.
  virtual Result<void> mark_dead(std::int64_t id, const Error& error, const NoticeFor& notice) = 0;

  // A delivery in progress changes what the message sends, for this attempt and every later one
  // (an agent's MMS that Twilio refuses goes as a text with links): the message, while claimed
  // (sending), takes `payload`, an Attempt "revised" with `why`, and `notice`, if any, in the same
  // transaction (its dedupe key stores it once however often the delivery is repeated). Durable
  // against a process crash, like an outcome, so that a restart sends the new payload and never
  // the one it replaced. A message not sending is left as it is.
  virtual Result<void> revise(std::int64_t id, const nlohmann::json& payload, const std::string& why,
                              const std::optional<Notice>& notice) = 0;

  // Claimed messages this process will not deliver after all (it is stopping, or their number's
  // send pacing has no slot for them yet): sending → queued, for whichever instance claims them
  // next, due no sooner than due_ms (0: when they were). No attempt is counted.
  virtual Result<void> release(const std::vector<std::int64_t>& ids, std::int64_t due_ms) = 0;

  // Moves queued messages of `direction` created before `created_before_ms` to expired, each
  // with notice(it), if any, in the same transaction. Returns how many expired.
  virtual Result<int> expire(Direction direction, std::int64_t created_before_ms, const NoticeFor& notice) = 0;

  // A Twilio status callback for the message Twilio knows as `provider_id`: applies `state`
  // (sent, delivered or failed) only if it moves the message forward (a late sent never
  // overwrites delivered). A message it moves to failed is stored with notice(it), if any, in
  // the same transaction. Returns whether a message was updated.
  virtual Result<bool> record_status(const std::string& provider_id, State state,
                                     const std::string& error_code, const NoticeFor& notice) = 0;

  // Queued messages of `direction` waiting for a retry later than `now_ms` become due at
  // `now_ms` (their upstream answered again, or serve starts), in the conversations `filter`
  // admits. Returns how many.
  virtual Result<int> make_due(Direction direction, std::int64_t now_ms, const NumberFilter& filter) = 0;

  // At start-up: messages left sending by a crash go back to queued (on a shared store, only
  // those whose lease ran out). Returns how many.
  virtual Result<int> requeue_in_flight() = 0;

  // Operator views and actions (outbox CLI, admin API).
  virtual Result<std::vector<Message>> list(std::optional<State> state, std::size_t limit) = 0;
  // The messages `filter` selects, newest (highest id) first; walks the primary key from
  // before_id down, so a page costs the same however deep it is.
  virtual Result<std::vector<Message>> find_messages(const MessageFilter& filter) = 0;
  virtual Result<std::optional<Message>> get(std::int64_t id) = 0;
  virtual Result<std::vector<Attempt>> attempts(std::int64_t id) = 0;
  // dead/failed/expired → queued, due now, provider id cleared. Returns how many moved.
  virtual Result<int> retry(std::int64_t id) = 0;
  virtual Result<int> retry_all_dead() = 0;
  // One step of a purge: deletes, in one short transaction, up to `batch` messages in a final
  // state last updated before `before_ms` (their attempts with them) and up to `batch` dedupe
  // keys created before it. The purge is complete when a step deletes fewer than `batch` of
  // each (purge_all in store/retention.h runs the steps).
  virtual Result<Purged> purge(std::int64_t before_ms, std::size_t batch) = 0;
  // Message counts by state (every state present, 0 when none), and the oldest queued age. The
  // counts are kept by the store as messages change (a few rows read, however many messages),
  // the oldest is found among the unfinished messages only.
  virtual Result<std::map<State, std::int64_t>> counts() = 0;
  virtual Result<std::optional<std::int64_t>> oldest_queued_created_ms() = 0;
  // The same by business number (the conversation's), for the tenants' figures: one row per
  // number and state that has messages.
  virtual Result<std::vector<NumberCount>> counts_by_number() = 0;

  // The opt-out register (shared by every instance on PostgreSQL).
  // Records `opt_outs` in one transaction (all or none); a pair already registered takes the
  // new time, source and keyword.
  virtual Result<void> add_opt_outs(const std::vector<OptOut>& opt_outs) = 0;
  // Removes a pair; returns whether it was registered.
  virtual Result<bool> remove_opt_out(const std::string& business_number, const std::string& end_user_number) = 0;
  virtual Result<bool> opted_out(const std::string& business_number, const std::string& end_user_number) = 0;
  // Every registered pair, ordered by business number, then end-user number.
  virtual Result<std::vector<OptOut>> list_opt_outs() = 0;
  virtual Result<std::int64_t> count_opt_outs() = 0;

  // Send pacing per business number (store/pacing.h), shared by every instance on this store.
  // Reserves `number`'s next send slot for a send costing cost_us (store::reserve), atomically
  // with any other instance's reservation for it.
  virtual Result<Slot> reserve_slot(const std::string& number, std::int64_t now_us, std::int64_t cost_us,
                                    std::int64_t window_us) = 0;
  // Twilio refused a send from `number` for its rate (store::slow_down).
  virtual Result<void> slow_down(const std::string& number, std::int64_t now_us, std::int64_t until_us) = 0;

  // Proves the store accepts writes now (readiness).
  virtual Result<void> check_writable() = 0;

  // Webhooks accepted while the shared store was unreachable, kept in the local spool until it
  // returns (always 0 for SQLite).
  virtual std::int64_t spooled() const { return 0; }
};

// The embedded backend: SQLite in WAL mode with synchronous=FULL at `file` (directories created
// 0700). Runs the schema migrations. Safe to open from several processes at once (serve and
// the outbox CLI).
Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file);

// The shared backend: PostgreSQL at `url` (postgresql://...), with at most `pool_size`
// connections; a claim not finished within `lease` returns to the queue. Runs the migrations
// (several instances may start at once).
Result<std::unique_ptr<Store>> open_postgres(const std::string& url, int pool_size, std::chrono::milliseconds lease);

// What `serve` uses: store.url's PostgreSQL behind a local spool at <data_dir>/spool.db (a
// webhook is stored in the spool while the database is unreachable, and moved to it when it
// returns), or SQLite at <data_dir>/outbox.db when store.url is "".
Result<std::unique_ptr<Store>> open_for_serve(const config::Config& config, const std::filesystem::path& data_dir);
// The same store without a spool, for the operator's tools (outbox, doctor).
Result<std::unique_ptr<Store>> open_for_tools(const config::Config& config, const std::filesystem::path& data_dir);

}  // namespace sms::store
