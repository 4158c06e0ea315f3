// infinity-sms doctor: a checklist of what stops messages from flowing, each failure with its fix.
#include <sys/stat.h>

#include "cli/context.h"
#include "core/clock.h"
#include "core/url.h"
#include "infinity/token_provider.h"
#include "relay/relay.h"
#include "server/server.h"
#include "server/webhook_auth.h"
#include "store/store.h"
#include "twilio/client.h"

namespace sms::cli {
namespace {

enum class Verdict { ok, warn, fail, skip };

struct Checklist {
  int failures = 0;

  void add(Verdict v, const std::string& what, const std::string& fix = "") {
    static constexpr const char* kTags[] = {"[ok]  ", "[warn]", "[FAIL]", "[skip]"};
    fmt::print("  {} {}\n", kTags[static_cast<int>(v)], what);
    if (!fix.empty() && (v == Verdict::fail || v == Verdict::warn)) fmt::print("         fix: {}\n", fix);
    if (v == Verdict::fail) ++failures;
  }
};

void check_file(Checklist& out, const config::Loaded& loaded) {
  const auto& path = loaded.file.path();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    out.add(Verdict::warn, "no config file at " + path.string() + " (only defaults and environment are used)",
            "infinity-sms --config " + path.string() + " config set KEY VALUE ... creates it (mode 0600)");
    return;
  }
  auto mode = st.st_mode & 0777;
  if (mode & 0077)
    out.add(Verdict::fail, fmt::format("config file {} is readable by others (mode {:o}); it holds secrets", path.string(), mode),
            "chmod 600 " + path.string());
  else
    out.add(Verdict::ok, fmt::format("config file {} is private (mode {:o})", path.string(), mode));
}

void check_settings(Checklist& out, const config::Config& c) {
  for (auto d : {store::Direction::inbound, store::Direction::outbound}) {
    auto name = d == store::Direction::inbound ? "Twilio -> Infinity" : "Infinity -> Twilio";
    if (auto why = relay::blocked_reason(c, d); !why.empty())
      out.add(Verdict::fail, std::string(name) + ": messages stay queued: " + why, "the config set command in the message");
    else
      out.add(Verdict::ok, std::string(name) + ": settings complete" +
                               ((d == store::Direction::inbound ? c.avaya_mock() : c.twilio_mock()) ? " (mock mode)" : ""));
  }
  if (server::infinity_webhooks_unverifiable(c))
    out.add(Verdict::fail, c.key_name("avaya.webhookSecret") + " is not set: Infinity webhooks are refused (401)",
            "infinity-sms config set " + c.key_name("avaya.webhookSecret") + " <the connector's Webhook Secret>");
  if (server::twilio_webhooks_unverifiable(c))
    out.add(Verdict::fail, c.key_name("twilio.account.authToken") + " is not set: Twilio webhooks cannot be verified and are refused (401)",
            "infinity-sms config set " + c.key_name("twilio.account.authToken") + " <auth token>");
}

void check_public_url(Checklist& out, const config::Config& c) {
  auto url = c.str("server.publicUrl");
  auto parsed = parse_url(url);
  if (url.empty())
    out.add(Verdict::fail, "server.publicUrl is not set: Twilio's signatures are checked against the URL rebuilt from each request",
            "infinity-sms config set server.publicUrl https://<the host Twilio calls>");
  else if (!parsed || parsed->scheme != "https")
    out.add(Verdict::fail, "server.publicUrl " + url + " is not https: webhooks would cross the internet in clear text",
            "serve behind TLS (a load balancer, or server.tls.cert/key) and set server.publicUrl to its https:// URL");
  else
    out.add(Verdict::ok, "server.publicUrl " + url + " is https");
}

void check_store(Checklist& out, const config::Config& c) {
  auto dir = server::data_dir(c, config::process_env());
  bool shared = !c.str("store.url").empty();
  auto name = shared ? std::string("PostgreSQL outbox (store.url)") : "outbox " + (dir / "outbox.db").string();
  auto store = store::open_for_tools(c, dir);
  Result<void> writable = store ? (*store)->check_writable() : std::unexpected(store.error());
  if (writable) out.add(Verdict::ok, name + " takes writes");
  else out.add(Verdict::fail, name + ": " + writable.error().message,
               shared ? "check store.url (host, port, user, password, database) and that the server is a writable primary"
                      : "make server.dataDir a directory the service user can write (it is created 0700)");
}

http::Timeouts timeouts() { return {std::chrono::seconds(5), std::chrono::seconds(10), std::chrono::seconds(10)}; }

void check_infinity(Checklist& out, const config::Config& c) {
  if (c.avaya_mock()) return out.add(Verdict::skip, "Infinity token: " + c.key_name("avaya.isMockMode") + " is on");
  if (!relay::blocked_reason(c, store::Direction::inbound).empty())
    return out.add(Verdict::skip, "Infinity token: settings incomplete (above)");
  infinity::ClientCredentials creds{c.avaya_base_url(), c.str("avaya.clientId"), c.str("avaya.clientSecret")};
  auto http = http::Client::create(creds.base_url, timeouts());
  auto token = http ? infinity::request_token(**http, creds) : std::unexpected(http.error());
  if (token) out.add(Verdict::ok, "Infinity token obtained from " + creds.base_url + ", expires " + iso8601(token->expires_at));
  else out.add(Verdict::fail, "Infinity token from " + creds.base_url + ": " + token.error().message,
               "check " + c.key_name("avaya.host") + ", " + c.key_name("avaya.clientId") + " and " + c.key_name("avaya.clientSecret") +
                   " against the connector in Infinity Admin Console");
}

void check_twilio(Checklist& out, const config::Config& c) {
  if (c.twilio_mock()) return out.add(Verdict::skip, "Twilio credentials and numbers: " + c.key_name("twilio.isMockMode") + " is on");
  if (!relay::blocked_reason(c, store::Direction::outbound).empty())
    return out.add(Verdict::skip, "Twilio credentials: settings incomplete (above)");
  twilio::Client client(c.str("twilio.apiBaseUrl"),
                        {c.str("twilio.account.sid"), c.str("twilio.account.authToken"), c.str("twilio.apiKey.sid"),
                         c.str("twilio.apiKey.secret")},
                        timeouts());
  auto account = client.fetch_account();
  if (!account)
    return out.add(Verdict::fail, "Twilio account " + c.str("twilio.account.sid") + ": " + account.error().message,
                   "check " + c.key_name("twilio.account.sid") + " and " + c.key_name("twilio.account.authToken") + " (or " +
                       c.key_name("twilio.apiKey.sid") + "/secret) in the Twilio Console");
  auto status = account->value("status", std::string("unknown"));
  out.add(status == "active" ? Verdict::ok : Verdict::fail, "Twilio account " + c.str("twilio.account.sid") + " is " + status,
          "the Twilio account must be active");

  auto expected = c.str("server.publicUrl");
  while (!expected.empty() && expected.back() == '/') expected.pop_back();
  if (expected.empty()) return out.add(Verdict::skip, "Twilio numbers' webhooks: server.publicUrl is not set (above)");
  expected += "/callbacks/twilio/sms";
  auto numbers = client.list_numbers();
  if (!numbers) return out.add(Verdict::warn, "Twilio numbers: " + numbers.error().message);
  if (numbers->empty())
    return out.add(Verdict::warn, "Twilio account has no phone numbers", "buy or port a number in the Twilio Console");
  for (const auto& n : *numbers) {
    auto number = n.value("phone_number", std::string("?"));
    auto url = n.value("sms_url", std::string());
    auto method = n.value("sms_method", std::string("POST"));
    if (url == expected && method == "POST")
      out.add(Verdict::ok, number + ": incoming SMS webhook is " + url + " (POST)");
    else
      out.add(Verdict::fail,
              number + ": incoming SMS webhook is " + (url.empty() ? "not set" : url + " (" + method + ")") +
                  ", not this connector's " + expected,
              "Twilio Console -> Phone Numbers -> " + number + " -> Messaging -> \"A message comes in\": Webhook " +
                  expected + ", HTTP POST (for a number in a Messaging Service: the service's Integration settings)");
  }
}

int doctor(Context& ctx) {
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto& c = loaded->effective;
  fmt::print("infinity-sms doctor ({})\n", loaded->file.path().string());
  Checklist out;
  check_file(out, *loaded);
  if (auto whole = config::check_whole(c); !whole)
    out.add(Verdict::fail, "the tenants: " + whole.error().message, "fix each key named; serve refuses to start until then");
  check_public_url(out, c);
  check_store(out, c);
  // Each tenant's own accounts, the default (top-level) one first.
  for (const auto& name : c.tenant_names()) {
    const auto& tenant = *c.tenant(name);
    if (c.has_named_tenants()) fmt::print("tenant {}{}\n", name, name == config::kDefaultTenant ? " (the top-level twilio and avaya keys)" : "");
    check_settings(out, tenant);
    check_infinity(out, tenant);
    check_twilio(out, tenant);
  }
  fmt::print("{}\n", out.failures ? fmt::format("{} check(s) failed", out.failures) : std::string("all checks passed"));
  return out.failures ? kExitFailure : kExitOk;
}

}  // namespace

void add_doctor(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check the configuration, the store, Infinity and Twilio; print the fix for each failure");
  cmd->footer(
      "Checks: config file permissions, the tenants' consistency, that server.publicUrl is https, that\n"
      "the outbox takes writes, and for each tenant: settings for both directions and webhook secrets,\n"
      "an Infinity token, the Twilio account, and that each Twilio number's incoming-SMS webhook is\n"
      "this connector's URL with POST.\n"
      "Exit status: 0 when every check passes (warnings allowed), 1 otherwise, 2 for a config error.\n"
      "Examples:\n"
      "  infinity-sms doctor\n"
      "  sudo -u infinity-sms infinity-sms --config /etc/infinity-sms/config.json doctor");
  cmd->callback([&ctx] { ctx.action = [&ctx] { return doctor(ctx); }; });
}

}  // namespace sms::cli
