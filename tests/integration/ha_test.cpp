// Several serve instances on one PostgreSQL store acting as one connector: load spread over all
// of them, an instance killed and restarted, the database restarted under load.
#include <csignal>

#include "delivery_tally.h"
#include "fakes/test_database.h"

using namespace itest;

namespace {

constexpr int kPerDirection = 600;

json shared_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const fakes::TestDatabase& db,
                   const char* lease) {
  auto cfg = fake_config(tw, inf);
  cfg["store"] = {{"url", db.url()}, {"leaseTimeout", lease}};
  cfg["relay"]["retryInitial"] = "5ms";
  cfg["relay"]["retryMax"] = "50ms";
  // A kill can repeat each delivery its instance had in flight: one per direction here.
  cfg["relay"]["concurrency"] = 1;
  return cfg;
}

// `n` instances on one fresh database behind a load balancer: webhook i goes to instance i % n, or
// to the next one up when that one does not answer, until one acknowledges it.
struct Cluster {
  Cluster(int n, const char* lease, std::chrono::milliseconds provider_latency = 0ms) : ports(n), acked_by(n) {
    tw.set_latency(provider_latency);
    inf.set_latency(provider_latency);
    auto cfg = shared_config(tw, inf, db, lease);
    for (int k = 0; k < n; ++k) {
      instances.push_back(std::make_unique<Serve>(cfg));
      ports[k] = instances.back()->port;
    }
  }

  template <class Post>
  bool send(int i, Post post) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
      auto k = static_cast<std::size_t>(i + attempt) % ports.size();
      if (int p = ports[k]; p && post(p)) {
        ++acked_by[k];
        return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  // Both directions at once, kPerDirection each; `total` counts webhooks answered so far.
  void run() {
    std::thread in([&] {
      for (int i = 0; i < kPerDirection; ++i, ++total)
        if (send(i, [&](int p) { return post_inbound(tw, p, i); })) add(acked_in, i);
    });
    std::thread out([&] {
      for (int i = 0; i < kPerDirection; ++i, ++total)
        if (send(i, [&](int p) { return post_outbound(inf, p, i); })) add(acked_out, i);
    });
    in.join();
    out.join();
  }

  void add(std::set<int>& acked, int i) {
    std::lock_guard lock(mutex);
    acked.insert(i);
  }

  void wait_until(int answered) const {
    while (total < answered) std::this_thread::sleep_for(1ms);
  }

  fakes::TestDatabase db;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  std::vector<std::unique_ptr<Serve>> instances;
  std::vector<std::atomic<int>> ports;     // 0 while an instance is down
  std::vector<std::atomic<int>> acked_by;  // webhooks each instance acknowledged
  std::atomic<int> total{0};
  std::mutex mutex;
  std::set<int> acked_in, acked_out;
};

// The password in a postgresql://user:password@host/db URL.
std::string password_of(const std::string& url) {
  auto after_user = url.substr(url.find(':', url.find("//")) + 1);
  return after_user.substr(0, after_user.find('@'));
}

}  // namespace

TEST_CASE("three instances on one PostgreSQL store: one killed and restarted mid-run loses nothing", "[serve][ha]") {
  // The killed instance's claims return after 3 s. Slow providers keep every instance busy, so
  // the kill always catches deliveries in flight. A shorter lease let a live instance's delivery,
  // stalled past it under AddressSanitizer on a loaded machine, be claimed and sent again.
  Cluster c(3, "3s", 5ms);
  std::thread load([&] { c.run(); });
  c.wait_until(2 * kPerDirection / 3);
  c.ports[1] = 0;
  c.instances[1]->child->signal(SIGKILL);
  c.instances[1]->child->wait(5s);
  c.wait_until(4 * kPerDirection / 3);
  c.instances[1]->start();
  c.ports[1] = c.instances[1]->port;
  load.join();

  REQUIRE(c.acked_in.size() == kPerDirection);
  REQUIRE(c.acked_out.size() == kPerDirection);
  for (std::size_t k = 0; k < 3; ++k) {
    INFO("instance " << k);
    CHECK(c.acked_by[k] > kPerDirection / 10);  // the load really was spread
  }
  auto [in, out] = wait_for_deliveries(c.inf, c.tw, c.acked_in, c.acked_out, 60s);
  check(in, c.acked_in, "inbound", 1);
  check(out, c.acked_out, "outbound", 1);
  // Any instance sees the whole shared outbox.
  auto status = c.instances[2]->admin_get("/api/status");
  REQUIRE(status);
  auto body = json::parse(status->body);
  CHECK(body["store"]["backend"] == "postgresql");
  CHECK(body["queue"]["sent"].get<int>() >= 2 * kPerDirection);
}

TEST_CASE("the database restarted mid-run: instances recover on their own and lose nothing", "[serve][ha][restarts-postgres]") {
  Cluster c(2, "30s");
  std::thread load([&] { c.run(); });
  c.wait_until(2 * kPerDirection / 4);
  fakes::TestDatabase::restart_cluster(2);  // down for 2 s while the webhooks keep coming
  load.join();

  REQUIRE(c.acked_in.size() == kPerDirection);
  REQUIRE(c.acked_out.size() == kPerDirection);
  auto [in, out] = wait_for_deliveries(c.inf, c.tw, c.acked_in, c.acked_out, 60s);
  // Outcomes that could not be written during the outage were written when it ended, so nothing
  // was sent twice.
  check(in, c.acked_in, "inbound", 0);
  check(out, c.acked_out, "outbound", 0);
  bool spooled = false;
  auto password = password_of(c.db.url());
  for (auto& s : c.instances) {
    CHECK(s->child->output().find(password) == std::string::npos);  // libpq's errors were logged
    spooled = spooled || s->child->output().find("keeping webhooks in the spool") != std::string::npos;
    auto ready = s->client->Get("/api/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    auto status = json::parse(s->admin_get("/api/status")->body);
    CHECK(status["store"]["spooled"] == 0);
  }
  CHECK(spooled);  // webhooks answered during the outage went through the spool
}

TEST_CASE("on the shared store (INFINITY_SMS_STORE_URL) outbox, status, metrics and doctor work, and the password shows nowhere", "[serve][ha]") {
  fakes::TestDatabase db;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  tw.fail_with_code(400, 21211, "Invalid 'To' Phone Number");
  const std::map<std::string, std::string> env{{"INFINITY_SMS_STORE_URL", db.url()}};
  Serve s(fake_config(tw, inf), env);
  REQUIRE(s.post_infinity(agent_event("ev-dead", inf.connector_id()).dump())->status == 200);
  REQUIRE(post_inbound(tw, s.port, 1));
  auto store = sms::store::open_postgres(db.url(), 1, 60s);
  REQUIRE(store);
  auto wait_state = [&](sms::store::State state, std::int64_t n) {
    for (int i = 0; i < 500; ++i, std::this_thread::sleep_for(10ms))
      if (auto c = (*store)->counts(); c && (*c)[state] >= n) return true;
    return false;
  };
  REQUIRE(wait_state(sms::store::State::dead, 1));
  REQUIRE(wait_state(sms::store::State::sent, 1));

  std::string printed;
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", s.dir.file("config.json")});
    auto r = fakes::run(args, env);
    printed += r.out + r.err;
    return r;
  };
  auto dead = json::parse(cli({"outbox", "list", "--state", "dead", "--json"}).out);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["providerCode"] == "21211");
  CHECK(cli({"outbox", "retry", std::to_string(dead[0]["id"].get<std::int64_t>())}).exit_code == 0);
  // The inbound message, the agent's notice of the dead reply, and the reply: the running
  // instance picked it up.
  REQUIRE(wait_state(sms::store::State::sent, 3));

  auto metrics = s.admin->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infinity_sms_queue_messages{state=\"sent\"} 3") != std::string::npos);
  CHECK(metrics->body.find("infinity_sms_spooled_webhooks 0") != std::string::npos);
  auto status = cli({"status", "--json", "--url", "http://127.0.0.1:" + std::to_string(s.admin_port)});
  CHECK(json::parse(status.out)["store"] == json{{"backend", "postgresql"}, {"spooled", 0}});
  auto doctor = cli({"doctor"});
  CHECK(doctor.out.find("PostgreSQL outbox (store.url) takes writes") != std::string::npos);
  auto shown = cli({"config", "show"});
  CHECK(shown.out.find("store.url") != std::string::npos);

  auto password = password_of(db.url());
  REQUIRE(password.size() >= 16);
  CHECK(printed.find(password) == std::string::npos);
  CHECK(s.child->output().find(password) == std::string::npos);
  CHECK(metrics->body.find(password) == std::string::npos);
}

TEST_CASE("an unreachable store.url: serve refuses to start and doctor fails the check, both saying why without the password", "[serve][ha]") {
  fakes::TempDir dir;
  std::ofstream(dir.file("config.json")) << json{{"avaya", {{"isMockMode", true}}}, {"twilio", {{"isMockMode", true}}},
                                                 {"server", {{"adminToken", kAdminToken}}},
                                                 {"store", {{"url", "postgresql://sms:pw-never-shown-42@127.0.0.1:1/outbox"}}}}
                                                    .dump();
  auto serve = fakes::run({"--config", dir.file("config.json"), "serve", "--port", "0", "--admin-port", "0", "--data-dir",
                           dir.file("data")});
  CHECK(serve.exit_code != 0);
  CHECK(serve.err.find("cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server running") !=
        std::string::npos);
  auto doctor = fakes::run({"--config", dir.file("config.json"), "doctor"});
  CHECK(doctor.exit_code == 1);
  CHECK(doctor.out.find("[FAIL] PostgreSQL outbox (store.url)") != std::string::npos);
  CHECK(doctor.out.find("fix: check store.url") != std::string::npos);
  for (const auto& text : {serve.out, serve.err, doctor.out, doctor.err}) CHECK(text.find("pw-never-shown-42") == std::string::npos);
}
