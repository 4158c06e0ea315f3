// The outbox subcommand: list, show, retry and purge messages in the outbox serve uses.
#include "cli/context.h"
#include "core/clock.h"
#include "relay/providers.h"
#include "store/dead_letters.h"
#include "store/retention.h"
#include "store/store.h"

namespace sms::cli {
namespace {

struct Opts {
  std::string data_dir, state, older_than;
  std::int64_t id = 0;
  std::size_t limit = 50;
  bool json = false, dead = false;
};

// The tenant a message belongs to (by its conversation's business number).
std::string tenant_of(const store::Message& m, const config::Config& c) { return relay::tenant_view(c, m).tenant_name(); }

nlohmann::json to_json(const store::Message& m, const config::Config& c) {
  return {{"id", m.id},
          {"tenant", tenant_of(m, c)},
          {"direction", store::to_string(m.direction)},
          {"state", store::to_string(m.state)},
          {"conversation", m.conversation},
          {"sourceId", m.source_id},
          {"attempts", m.attempts},
          {"created", iso8601(SysTime(std::chrono::milliseconds(m.created_ms)))},
          {"updated", iso8601(SysTime(std::chrono::milliseconds(m.updated_ms)))},
          {"nextAttempt", iso8601(SysTime(std::chrono::milliseconds(m.next_attempt_ms)))},
          {"providerId", m.provider_id},
          {"providerCode", m.provider_code},
          {"lastError", m.last_error},
          {"payload", nlohmann::json::parse(m.payload, nullptr, false)}};
}

int list(Context& ctx, const Opts& o) {
  std::optional<store::State> state;
  if (!o.state.empty() && !(state = store::parse_state(o.state)))
    return report(make_error(ErrorKind::invalid_input, "unknown state '" + o.state + "' (queued, sending, sent, delivered, failed, dead, expired)"));
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto messages = (*s)->list(state, o.limit);
  if (!messages) return report(messages.error());
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto& c = loaded->effective;
  if (o.json) {
    auto arr = nlohmann::json::array();
    for (const auto& m : *messages) arr.push_back(to_json(m, c));
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  // The tenant column only where there are tenants.
  auto tenant = [&](const std::string& name) { return c.has_named_tenants() ? fmt::format("{:<12}  ", name) : std::string(); };
  fmt::print("{:>6}  {}{:<8}  {:<9}  {:>3}  {:<24}  {:<34}  {}\n", "ID", tenant("TENANT"), "DIR", "STATE", "TRY", "CREATED", "SOURCE",
             "LAST ERROR");
  for (const auto& m : *messages)
    fmt::print("{:>6}  {}{:<8}  {:<9}  {:>3}  {:<24}  {:<34}  {}\n", m.id, tenant(tenant_of(m, c)), store::to_string(m.direction),
               store::to_string(m.state), m.attempts, iso8601(SysTime(std::chrono::milliseconds(m.created_ms))), m.source_id,
               m.provider_code.empty() ? m.last_error : m.provider_code + " " + m.last_error);
  return kExitOk;
}

int show(Context& ctx, const Opts& o) {
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto m = (*s)->get(o.id);
  if (!m) return report(m.error());
  if (!*m) return report(make_error(ErrorKind::invalid_input, "no message " + std::to_string(o.id) + " in the outbox"));
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  auto j = to_json(**m, loaded->effective);
  j["attemptHistory"] = nlohmann::json::array();
  auto history = (*s)->attempts(o.id);
  if (!history) return report(history.error());
  for (const auto& a : *history)
    j["attemptHistory"].push_back({{"at", iso8601(SysTime(std::chrono::milliseconds(a.at_ms)))}, {"outcome", a.outcome}, {"detail", a.detail}});
  fmt::print("{}\n", j.dump(2));
  return kExitOk;
}

int retry(Context& ctx, const Opts& o) {
  if ((o.id == 0) == !o.dead) return report(make_error(ErrorKind::invalid_input, "give a message ID or --dead"));
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  if (!o.dead) {
    if (auto m = store::retry_message(**s, o.id); !m) {
      auto e = m.error();
      if (e.kind == ErrorKind::not_found) e.kind = ErrorKind::invalid_input;  // a wrong ID, as for `show`: exit 2
      return report(e);
    }
    fmt::print("1 message(s) queued again\n");
    return kExitOk;
  }
  auto n = (*s)->retry_all_dead();
  if (!n) return report(n.error());
  fmt::print("{} message(s) queued again\n", *n);
  return kExitOk;
}

int purge(Context& ctx, const Opts& o) {
  auto age = parse_duration(o.older_than);
  if (!age) return report(make_error(ErrorKind::invalid_input, "--older-than takes a duration like 7d, 12h or 30m"));
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto n = store::purge_all(**s, unix_ms_now() - age->count());
  if (!n) return report(n.error());
  fmt::print("{} message(s) purged\n", n->messages);
  return kExitOk;
}

}  // namespace

void add_outbox(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("outbox", "Inspect and repair the outbox (works while serve runs)");
  cmd->require_subcommand(1);
  auto o = std::make_shared<Opts>();
  auto* l = cmd->add_subcommand("list", "List messages, newest first");
  l->add_option("--state", o->state, "only this state: queued, sending, sent, delivered, failed, dead, expired");
  l->add_option("--limit", o->limit, "at most this many (default 50)");
  l->add_flag("--json", o->json, "print JSON");
  l->footer("Examples:\n  infinity-sms outbox list --state dead\n  infinity-sms outbox list --json --limit 500");
  l->callback([&ctx, o] { ctx.action = [&ctx, o] { return list(ctx, *o); }; });
  auto* s = cmd->add_subcommand("show", "Show one message with its payload and attempt history (JSON)");
  s->add_option("ID", o->id, "message id")->required();
  s->callback([&ctx, o] { ctx.action = [&ctx, o] { return show(ctx, *o); }; });
  auto* r = cmd->add_subcommand("retry", "Queue a dead, failed or expired message again");
  r->add_option("ID", o->id, "message id");
  r->add_flag("--dead", o->dead, "queue every dead message again");
  r->footer("Examples:\n  infinity-sms outbox retry 42\n  infinity-sms outbox retry --dead");
  r->callback([&ctx, o] { ctx.action = [&ctx, o] { return retry(ctx, *o); }; });
  auto* p = cmd->add_subcommand("purge", "Delete finished messages (sent, delivered, failed, dead, expired)");
  p->add_option("--older-than", o->older_than, "last changed longer ago than this, e.g. 7d")->required();
  p->callback([&ctx, o] { ctx.action = [&ctx, o] { return purge(ctx, *o); }; });
  for (auto* sub : {l, s, r, p}) sub->add_option("--data-dir", o->data_dir, "outbox directory (server.dataDir)");
}

}  // namespace sms::cli
