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

// A load balancer's view of the instances: webhook i goes to instance i % n, or to the next one
// up when that one does not answer, until one acknowledges it.
struct Balancer {
  explicit Balancer(std::vector<std::unique_ptr<Serve>>& instances) : ports(instances.size()), acked_by(instances.size()) {
    for (std::size_t k = 0; k < instances.size(); ++k) ports[k] = instances[k]->port;
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
        if (send(i, [&](int p) { return post_inbound(*tw, p, i); })) add(acked_in, i);
    });
    std::thread out([&] {
      for (int i = 0; i < kPerDirection; ++i, ++total)
        if (send(i, [&](int p) { return post_outbound(*inf, p, i); })) add(acked_out, i);
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

  const fakes::FakeTwilio* tw = nullptr;
  const fakes::FakeInfinity* inf = nullptr;
  std::vector<std::atomic<int>> ports;     // 0 while an instance is down
  std::vector<std::atomic<int>> acked_by;  // webhooks each instance acknowledged
  std::atomic<int> total{0};
  std::mutex mutex;
  std::set<int> acked_in, acked_out;
};

}  // namespace

TEST_CASE("three instances on one PostgreSQL store: one killed and restarted mid-run loses nothing", "[serve][ha]") {
  fakes::TestDatabase db;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  // Slow providers keep every instance busy, so the kill always catches deliveries in flight;
  // the killed instance's claims return after 1 s.
  tw.set_latency(5ms);
  inf.set_latency(5ms);
  auto cfg = shared_config(tw, inf, db, "1s");
  std::vector<std::unique_ptr<Serve>> instances;
  for (int k = 0; k < 3; ++k) instances.push_back(std::make_unique<Serve>(cfg));
  Balancer lb(instances);
  lb.tw = &tw;
  lb.inf = &inf;

  std::thread load([&] { lb.run(); });
  lb.wait_until(2 * kPerDirection / 3);
  lb.ports[1] = 0;
  instances[1]->child->signal(SIGKILL);
  instances[1]->child->wait(5s);
  lb.wait_until(4 * kPerDirection / 3);
  instances[1]->start();
  lb.ports[1] = instances[1]->port;
  load.join();

  REQUIRE(lb.acked_in.size() == kPerDirection);
  REQUIRE(lb.acked_out.size() == kPerDirection);
  for (std::size_t k = 0; k < 3; ++k) {
    INFO("instance " << k);
    CHECK(lb.acked_by[k] > kPerDirection / 10);  // the load really was spread
  }
  auto [in, out] = wait_for_deliveries(inf, tw, kPerDirection, 60s);
  check(in, lb.acked_in, "inbound", 1);
  check(out, lb.acked_out, "outbound", 1);
  // Any instance sees the whole shared outbox.
  auto status = instances[2]->admin_get("/api/status");
  REQUIRE(status);
  auto body = json::parse(status->body);
  CHECK(body["store"]["backend"] == "postgresql");
  CHECK(body["queue"]["sent"].get<int>() >= 2 * kPerDirection);
}

TEST_CASE("the database restarted mid-run: instances recover on their own and lose nothing", "[serve][ha][restarts-postgres]") {
  fakes::TestDatabase db;
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = shared_config(tw, inf, db, "30s");
  std::vector<std::unique_ptr<Serve>> instances;
  for (int k = 0; k < 2; ++k) instances.push_back(std::make_unique<Serve>(cfg));
  Balancer lb(instances);
  lb.tw = &tw;
  lb.inf = &inf;

  std::thread load([&] { lb.run(); });
  lb.wait_until(2 * kPerDirection / 4);
  fakes::TestDatabase::restart_cluster(2);  // down for 2 s while the webhooks keep coming
  load.join();

  REQUIRE(lb.acked_in.size() == kPerDirection);
  REQUIRE(lb.acked_out.size() == kPerDirection);
  auto [in, out] = wait_for_deliveries(inf, tw, kPerDirection, 60s);
  // Outcomes that could not be written during the outage were written when it ended, so nothing
  // was sent twice.
  check(in, lb.acked_in, "inbound", 0);
  check(out, lb.acked_out, "outbound", 0);
  bool spooled = false;
  for (auto& s : instances) {
    spooled = spooled || s->child->output().find("keeping webhooks in the spool") != std::string::npos;
    auto ready = s->client->Get("/api/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    auto status = json::parse(s->admin_get("/api/status")->body);
    CHECK(status["store"]["spooled"] == 0);
  }
  CHECK(spooled);  // webhooks answered during the outage went through the spool
}
