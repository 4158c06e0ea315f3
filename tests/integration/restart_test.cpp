// Restarts that lose nothing: the test holds the listening sockets itself, as systemd does with
// infinity-sms.socket, and restarts serve on them mid-stream while webhooks flow both ways.
// Each webhook is posted once: with SIGTERM every one must be answered 200 and delivered, in
// order; with SIGKILL only those cut off by the kill may fail, and none acknowledged is lost.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "delivery_tally.h"
#include "server/listen_fds.h"

using namespace itest;

namespace {

constexpr int kRestarts = 3;
constexpr int kPerDirection = 1200;
constexpr auto kPace = std::chrono::microseconds(3000);  // ~300 webhooks/s each way

struct Outcome {
  std::set<int> acked_in, acked_out;
  int failed = 0;  // webhooks with no 200 answer (refused, cut off, or an error status)
};

// Posts kPerDirection webhooks each way, once each, to the listener on `port` while `restart`
// runs kRestarts times, spread over the stream.
Outcome stream_with_restarts(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const std::atomic<int>& port,
                             const std::function<void()>& restart) {
  Outcome o;
  std::mutex m;
  std::atomic<int> posted{0};
  auto direction = [&](bool inbound) {
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < kPerDirection; ++i) {
      bool ok = inbound ? post_inbound(tw, port, i) : post_outbound(inf, port, i);
      {
        std::lock_guard l(m);
        if (!ok) ++o.failed;
        else (inbound ? o.acked_in : o.acked_out).insert(i);
      }
      ++posted;
      next += kPace;
      std::this_thread::sleep_until(next);
    }
  };
  std::thread in([&] { direction(true); }), out([&] { direction(false); });
  for (int k = 1; k <= kRestarts; ++k) {
    while (posted < k * 2 * kPerDirection / (kRestarts + 1)) std::this_thread::sleep_for(1ms);
    restart();
  }
  in.join();
  out.join();
  return o;
}

json restart_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf) {
  auto cfg = fake_config(tw, inf);
  // A kill can repeat each delivery in flight: one per direction, so duplicates <= kills.
  cfg["relay"]["concurrency"] = 1;
  return cfg;
}

// What a crash and the service manager's restart do: SIGKILL, then a new process.
void kill_and_start(Serve& s) {
  s.child->signal(SIGKILL);
  s.child->wait(5s);
  s.start();
}

// Every acknowledged webhook is delivered, in order, with at most `duplicates` repeats per direction.
void check_delivered(const fakes::FakeInfinity& inf, const fakes::FakeTwilio& tw, const Outcome& o, int duplicates) {
  auto [in, out] = wait_for_deliveries(inf, tw, o.acked_in, o.acked_out, 60s);
  check(in, o.acked_in, "inbound", duplicates);
  check(out, o.acked_out, "outbound", duplicates);
}

}  // namespace

TEST_CASE("SIGTERM restarts on sockets held by a service manager answer and deliver every webhook", "[serve][restart]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Listener webhook, admin;
  Serve s(restart_config(tw, inf), {}, true, {}, {{webhook.fd, "webhook"}, {admin.fd, "admin"}});
  REQUIRE(s.port == webhook.port);
  REQUIRE(s.admin_port == admin.port);
  REQUIRE(s.admin_get("/api/status")->status == 200);  // the admin API is on the admin socket
  std::atomic<int> port{webhook.port};
  auto o = stream_with_restarts(tw, inf, port, [&] {
    s.child->signal(SIGTERM);
    auto code = s.child->wait(30s);
    INFO(s.child->output());
    REQUIRE(code == 0);
    s.start();
  });
  WARN("SIGTERM x" << kRestarts << ": " << o.failed << " of " << 2 * kPerDirection << " webhooks not answered 200");
  CHECK(o.failed == 0);
  CHECK(o.acked_in.size() == kPerDirection);
  CHECK(o.acked_out.size() == kPerDirection);
  check_delivered(inf, tw, o, 0);
}

TEST_CASE("SIGKILL restarts on held sockets lose no acknowledged webhook and refuse none", "[serve][restart]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Listener webhook, admin;
  Serve s(restart_config(tw, inf), {}, true, {}, {{webhook.fd, "webhook"}, {admin.fd, "admin"}});
  std::atomic<int> port{webhook.port};
  auto o = stream_with_restarts(tw, inf, port, [&] { kill_and_start(s); });
  // Only a webhook whose connection the killed process held can fail: at most one per posting
  // thread and kill.
  WARN("SIGKILL x" << kRestarts << " with held sockets: " << o.failed << " of " << 2 * kPerDirection
                   << " webhooks not answered 200");
  CHECK(o.failed <= 2 * kRestarts);
  check_delivered(inf, tw, o, kRestarts);
}

TEST_CASE("SIGKILL restarts that bind their own socket refuse webhooks while down (the baseline)", "[serve][restart]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(restart_config(tw, inf));
  s.port_arg = std::to_string(s.port);  // the next process binds the same port, as a restarted service does
  std::atomic<int> port{s.port};
  auto o = stream_with_restarts(tw, inf, port, [&] { kill_and_start(s); });
  WARN("SIGKILL x" << kRestarts << " binding its own socket: " << o.failed << " of " << 2 * kPerDirection
                   << " webhooks not answered 200");
  check_delivered(inf, tw, o, kRestarts);
}

TEST_CASE("a single unnamed inherited socket is the webhook listener and a bad one is refused", "[serve][restart]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Listener webhook;
  Serve s(fake_config(tw, inf), {}, true, {}, {{webhook.fd, "infinity-sms.socket"}});
  CHECK(s.port == webhook.port);
  CHECK(s.client->Get("/api/health")->status == 200);
  CHECK(s.admin_port != webhook.port);  // bound by serve itself

  int not_listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fakes::Child bad({"--config", s.dir.file("config.json"), "serve", "--data-dir", s.dir.file("data2")}, {},
                   fakes::binary(), {{not_listening, "webhook"}});
  CHECK(bad.wait(10s) == 2);
  CHECK(bad.output().find("not a listening stream socket") != std::string::npos);
  ::close(not_listening);
}

TEST_CASE("the packaged socket units name their sockets as serve expects, on the default ports", "[docs][restart]") {
  auto slurp = [](const std::string& name) {
    std::ifstream f(std::string(INFINITY_SMS_SOURCE_DIR) + "/packaging/" + name);
    REQUIRE(f);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto value = [](const std::string& unit, const std::string& key) {
    std::smatch m;
    REQUIRE(std::regex_search(unit, m, std::regex("\\n" + key + "=(.*)\\n")));
    return m[1].str();
  };
  auto webhook = slurp("infinity-sms.socket"), admin = slurp("infinity-sms-admin.socket");
  auto service = slurp("infinity-sms.service");
  CHECK(value(webhook, "FileDescriptorName") == sms::server::kWebhookSocketName);
  CHECK(value(admin, "FileDescriptorName") == sms::server::kAdminSocketName);
  sms::config::Config defaults;
  CHECK(value(webhook, "ListenStream") == defaults.str("server.host") + ":" + std::to_string(defaults.integer("server.port")));
  CHECK(value(admin, "ListenStream") ==
        defaults.str("server.adminHost") + ":" + std::to_string(defaults.integer("server.adminPort")));
  CHECK(value(webhook, "Backlog") == std::to_string(defaults.integer("server.backlog")));
  CHECK(value(service, "Sockets") == "infinity-sms.socket infinity-sms-admin.socket");
  CHECK(value(service, "ExecReload") == "/bin/kill -HUP $MAINPID");
}
