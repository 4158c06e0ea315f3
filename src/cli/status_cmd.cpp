// The status subcommand: reads a running serve's /api/status and prints it as a table or JSON.
#include "cli/context.h"

namespace sms::cli {
namespace {

struct Opts {
  std::string url;
  bool json = false;
};

// The admin listener of the serve this configuration describes ("0.0.0.0" means this machine).
std::string admin_url(const config::Config& c) {
  auto host = c.str("server.adminHost");
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", c.str("server.tls.cert").empty() ? "http" : "https", host,
                     c.integer("server.adminPort"));
}

std::string or_dash(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : "-"; }

void print_table(const nlohmann::json& s, const std::string& url) {
  fmt::print("serve at {} (version {})\n", url, s.value("version", "?"));
  fmt::print("  {:<16}{}\n", "status", s.value("status", "?"));
  const auto reasons = s.value("reasons", nlohmann::json::array());
  const auto warnings = s.value("warnings", nlohmann::json::array());
  const auto counts = s.value("queue", nlohmann::json::object());
  for (const auto& r : reasons) fmt::print("  {:<16}{}\n", "  because", r.get<std::string>());
  for (const auto& w : warnings) fmt::print("  {:<16}{}\n", "  warning", w.get<std::string>());
  std::string queue;
  for (const auto& [state, n] : counts.items())
    queue += fmt::format("{}{} {}", queue.empty() ? "" : ", ", state, n.get<std::int64_t>());
  const auto store = s.value("store", nlohmann::json::object());
  auto spooled = store.value("spooled", std::int64_t{0});
  fmt::print("  {:<16}{}{}\n", "store", store.value("backend", "?"), spooled ? fmt::format(", {} webhook(s) spooled locally", spooled) : "");
  fmt::print("  {:<16}{}\n", "queue", queue);
  fmt::print("  {:<16}{}\n", "oldest queued", or_dash(s["oldestQueued"]));
  fmt::print("  {:<16}inbound {}, outbound {}\n", "last delivery", or_dash(s["lastDelivery"]["inbound"]),
             or_dash(s["lastDelivery"]["outbound"]));
  const auto upstreams = s.value("upstreams", nlohmann::json::object());
  for (const auto& [name, u] : upstreams.items()) {
    if (u.value("state", "") != "failing") {
      fmt::print("  {:<16}{}\n", name, u.value("state", "?"));
      continue;
    }
    fmt::print("  {:<16}failing since {}, next probe {}: {}\n", name, or_dash(u["failingSince"]), or_dash(u["nextProbe"]),
               u.value("lastError", ""));
  }
  auto dead = s.value("deadLetters", 0);
  fmt::print("  {:<16}{}{}\n", "dead letters", dead, dead ? " (infinity-sms outbox list --state dead)" : "");
  const auto& opt_outs = s["optOuts"];
  fmt::print("  {:<16}{}\n", "opt-outs", opt_outs.is_number() ? opt_outs.dump() + " (infinity-sms optout list)" : "-");
  fmt::print("  {:<16}{}\n", "token expires", or_dash(s["tokenExpires"]));
  // Each tenant, the default one first (the JSON object is in name order).
  const auto tenants = s.value("tenants", nlohmann::json::object());
  std::vector<std::string> names;
  for (const auto& [name, t] : tenants.items()) names.insert(name == config::kDefaultTenant ? names.begin() : names.end(), name);
  for (const auto& name : names) {
    const auto& t = tenants.at(name);
    std::string states;
    const auto tenant_upstreams = t.value("upstreams", nlohmann::json::object());
    for (const auto& [upstream, u] : tenant_upstreams.items()) states += fmt::format(", {} {}", upstream, u.value("state", "?"));
    fmt::print("  {:<16}queued {}, oldest {}, dead {}{}, token expires {}\n", "tenant " + name,
               t.value("/queue/queued"_json_pointer, 0), or_dash(t["oldestQueued"]), t.value("deadLetters", 0), states,
               t.contains("tokenError") ? "- (" + t.value("tokenError", "") + ")" : or_dash(t["tokenExpires"]));
  }
}

int status(Context& ctx, const Opts& o) {
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto& c = loaded->effective;
  auto url = o.url.empty() ? admin_url(c) : o.url;
  auto client = http::Client::create(url, {std::chrono::seconds(3), std::chrono::seconds(15), std::chrono::seconds(15)});
  if (!client) return report(client.error());
  auto r = (*client)->send({"GET", "/api/status", {{"Authorization", "Bearer " + c.str("server.adminToken")}}, "", ""});
  if (!r) {
    auto e = r.error();
    e.message += "; is serve running, and is its admin listener at " + url + "? (--url)";
    return report(e);
  }
  if (r->status == 401)
    return report(make_error(ErrorKind::auth, "the admin API refused server.adminToken from this configuration; "
                                              "use the same --config as serve"));
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !body.is_object())
    return report(make_error(ErrorKind::network, fmt::format("unexpected answer from {}/api/status: HTTP {}", url, r->status)));
  if (o.json) fmt::print("{}\n", body.dump(2));
  else print_table(body, url);
  return body.value("status", "") == "ready" ? kExitOk : kExitFailure;
}

}  // namespace

void add_status(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("status", "Ask a running serve for readiness, queue, last deliveries, upstreams, dead letters, token expiry");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--url", o->url, "admin listener URL (default http://server.adminHost:server.adminPort)");
  cmd->add_flag("--json", o->json, "print the admin API's JSON answer");
  cmd->footer(
      "Reads GET /api/status from the admin listener with server.adminToken. Exit status: 0 when\n"
      "serve is ready, 1 when it is not ready or cannot be reached, 2 for a configuration error.\n"
      "Examples:\n"
      "  infinity-sms status\n"
      "  infinity-sms status --json | jq .queue");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return status(ctx, *o); }; });
}

}  // namespace sms::cli
