// A real `infinity-sms serve` on an ephemeral loopback port, wired to fake Twilio and Infinity.
#pragma once

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/config.h"
#include "core/form.h"
#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"
#include "fakes/process.h"
#include "fakes/serve_config.h"
#include "fakes/test_database.h"
#include "infinity/signature.h"
#include "store/store.h"
#include "twilio/signature.h"

namespace itest {

using nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kWebhookSecret = "whsec-integration-1";
inline constexpr const char* kAdminToken = "admin-token-integration-1";

// A config file pointing at the fakes; `patch` is merged over it (nested JSON).
inline json fake_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf) {
  auto cfg = fakes::upstream_config(tw, inf, kWebhookSecret);
  cfg["server"] = {{"adminToken", kAdminToken}};
  // Not paced: the tests send many messages a second from one long code (pacing_test paces).
  cfg["relay"] = {{"retryInitial", "10ms"}, {"retryMax", "100ms"}, {"probeInterval", "20ms"}, {"upstreamTimeout", "2s"},
                  {"pacing", {{"longCode", 0}, {"tollFree", 0}, {"shortCode", 0}}}};
  return cfg;
}

class Serve {
 public:
  // Writes `config` to DIR/config.json and starts serve with `env` added.
  // `global_args` go before "serve" (e.g. --log-format json).
  // `listen_fds`: listening sockets passed in as a service manager does (socket activation).
  explicit Serve(const json& config, std::map<std::string, std::string> env = {},
                 bool write_config = true, std::vector<std::string> global_args = {},
                 std::vector<fakes::ListenFd> listen_fds = {})
      : global_args_(std::move(global_args)), listen_fds_(std::move(listen_fds)) {
    if (write_config) {
      std::ofstream(dir.file("config.json")) << config.dump(2);
    }
    if (const auto* cert = sms::config::get_dotted(config, "server.tls.cert")) ca_cert = cert->get<std::string>();
    start(std::move(env));
  }

  void start(std::map<std::string, std::string> env = {}) {
    env_ = env;
    std::vector<std::string> args{"--config", dir.file("config.json"), "--log-level", "debug"};
    args.insert(args.end(), global_args_.begin(), global_args_.end());
    for (const char* a : {"serve", "--host", "127.0.0.1", "--port"}) args.push_back(a);
    args.push_back(port_arg);
    for (const char* a : {"--admin-port", "0", "--data-dir"}) args.push_back(a);
    args.push_back(dir.file("data"));
    child = std::make_unique<fakes::Child>(args, env, fakes::binary(), listen_fds_);
    auto line = child->wait_for_line("admin listening on ", 10s);
    INFO(child->output());
    REQUIRE(line);
    admin_port = std::stoi(line->substr(line->rfind(':') + 1));
    auto output = child->output();
    auto webhook_line = output.substr(0, output.find("\nadmin listening on "));
    webhook_line = webhook_line.substr(webhook_line.rfind('\n') + 1);
    port = std::stoi(webhook_line.substr(webhook_line.rfind(':') + 1));
    scheme = webhook_line.find("https://") != std::string::npos ? "https" : "http";
    client = make_client(port);
    admin = make_client(admin_port);
  }

  // A client for one of the listeners; with TLS it trusts only `ca_cert` (the test's certificate).
  std::unique_ptr<httplib::Client> make_client(int to_port) const {
    auto c = std::make_unique<httplib::Client>(scheme + "://127.0.0.1:" + std::to_string(to_port));
    c->set_read_timeout(5, 0);
    if (!ca_cert.empty()) c->set_ca_cert_path(ca_cert.c_str());
    return c;
  }

  std::string base() const { return scheme + "://127.0.0.1:" + std::to_string(port); }

  // Signs (with `token`) and posts a Twilio form to `path`.
  httplib::Result post_twilio(const std::string& path, const sms::form::Fields& fields,
                              const std::string& token) {
    httplib::Headers h;
    if (!token.empty())
      h.emplace("X-Twilio-Signature",
                sms::twilio::compute_signature(token, base() + path, fields));
    return client->Post(path.c_str(), h, sms::form::encode(fields), "application/x-www-form-urlencoded");
  }

  httplib::Result post_infinity(const std::string& body, const std::string& secret = kWebhookSecret) {
    httplib::Headers h;
    if (!secret.empty()) h.emplace("x-avaya-event-signature", sms::infinity::compute_signature(secret, body));
    return client->Post("/callbacks/avaya/infinity/sms", h, body, "application/json");
  }

  httplib::Result admin_get(const std::string& path, const std::string& token = kAdminToken) {
    return admin->Get(path.c_str(), {{"Authorization", "Bearer " + token}});
  }
  httplib::Result admin_post(const std::string& path, const json& body, const std::string& token = kAdminToken) {
    return admin->Post(path.c_str(), {{"Authorization", "Bearer " + token}}, body.dump(), "application/json");
  }

  // The outbox as the running server sees it (SQLite allows a second connection).
  std::unique_ptr<sms::store::Store> store() {
    auto s = sms::store::open_sqlite(dir.file("data") + "/outbox.db");
    REQUIRE(s);
    return std::move(*s);
  }

  // Waits until the outbox holds `n` messages in `state`.
  bool wait_state(sms::store::State state, std::int64_t n, std::chrono::milliseconds timeout = 5s) {
    auto s = store();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = s->counts();
      if (c && (*c)[state] >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  fakes::TempDir dir;
  std::unique_ptr<fakes::Child> child;
  std::unique_ptr<httplib::Client> client;  // the webhook listener
  std::unique_ptr<httplib::Client> admin;   // the admin listener
  int port = 0, admin_port = 0;
  std::string port_arg = "0";  // serve --port at the next start(): 0 is any free port
  std::string scheme = "http";
  std::string ca_cert;  // TLS tests: the certificate clients trust

 private:
  std::vector<std::string> global_args_;
  std::vector<fakes::ListenFd> listen_fds_;
  std::map<std::string, std::string> env_;
};

// The real inbound payload of twilio-api.md §2.2 / D1, in Twilio's order.
inline sms::form::Fields real_inbound(const std::string& sid = "SM11111111111111111111111111111111",
                                      const std::string& account = "AC33333333333333333333333333333333",
                                      const std::string& body = "Hello, caf\xc3\xa9 \xe2\x98\x95 & friends") {
  return {{"ToCountry", "US"},     {"ToState", "CA"},      {"SmsMessageSid", sid},
          {"NumMedia", "0"},       {"ToCity", "SAN FRANCISCO"}, {"FromZip", "94105"},
          {"SmsSid", sid},         {"FromState", "CA"},    {"SmsStatus", "received"},
          {"FromCity", "SAN FRANCISCO"}, {"Body", body},  {"FromCountry", "US"},
          {"To", "+14155550100"},  {"MessagingServiceSid", "MG22222222222222222222222222222222"},
          {"ToZip", "94105"},      {"NumSegments", "1"},   {"MessageSid", sid},
          {"AccountSid", account}, {"From", "+14155550199"}, {"ApiVersion", "2010-04-01"}};
}

inline json agent_event(const std::string& event_id, const std::string& connector,
                        const std::string& text = "Hi, how can I help you?",
                        json to = json::array({"+14155550199"}), const std::string& sender = "agent") {
  return {{"eventType", "messages"},
          {"eventId", event_id},
          {"eventTimestamp", "2025-09-14T17:03:14.973161008Z"},
          {"messageId", "049d01091481a36c2dfd6f3f4e"},
          {"accountId", "001d0106666c6888cc999c111c"},
          {"conversationSessionId", "028d0109148d0c42be45266207"},
          {"connectorId", connector},
          {"channel", "text"},
          {"headers", {{"from", "+14155550100"}, {"to", to}}},
          {"body", {{"text", text}}},
          {"sender", {{"type", sender}}}};
}

// The outbox of a serve under test: SQLite in its data directory, or a fresh PostgreSQL database.
struct Outbox {
  explicit Outbox(bool postgres) : db(postgres ? std::make_unique<fakes::TestDatabase>() : nullptr) {}
  // Points serve's `config` at it.
  void configure(json& config) const {
    if (db) config["store"] = {{"url", db->url()}};
  }
  // A connection of its own to it, beside `serve`'s.
  std::unique_ptr<sms::store::Store> open(Serve& serve) const {
    if (!db) return serve.store();
    auto s = sms::store::open_postgres(db->url(), 1, std::chrono::seconds(60));
    REQUIRE(s);
    return std::move(*s);
  }
  std::unique_ptr<fakes::TestDatabase> db;  // null for SQLite
};

// The messages `inf` accepted that are the relay's notices to agents, in order.
inline std::vector<json> notices_in(const fakes::FakeInfinity& inf) {
  std::vector<json> out;
  for (const auto& d : inf.messages())
    if (d.message.contains("contextParameters") && d.message["contextParameters"].contains("infinitySmsNotice"))
      out.push_back(d.message);
  return out;
}

// The newest outbound message in `store`.
inline sms::store::Message last_outbound(sms::store::Store& store) {
  auto list = store.list(std::nullopt, 100);
  REQUIRE(list);
  for (const auto& m : *list)
    if (m.direction == sms::store::Direction::outbound) return m;
  FAIL("no outbound message in the outbox");
  return {};
}

// A listening TCP socket on a free loopback port.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1024) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

}  // namespace itest
