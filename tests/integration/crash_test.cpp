// Reliability under SIGKILL: thousands of webhooks both ways while serve is killed and restarted.
// Every webhook that got a 2xx must reach the fake upstream, in order per conversation, with no
// more duplicates than kills.
#include <csignal>
#include <random>

#include "delivery_tally.h"

using namespace itest;

namespace {

constexpr int kPerDirection = 2000;
constexpr int kKills = 3;

}  // namespace

TEST_CASE("no acknowledged message is lost or reordered across SIGKILL restarts", "[serve][crash]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["relay"]["retryInitial"] = "5ms";
  cfg["relay"]["retryMax"] = "50ms";
  // A kill can repeat each delivery in flight: one per direction here, so duplicates <= kills.
  cfg["relay"]["concurrency"] = 1;
  Serve s(cfg);
  std::atomic<int> port{s.port};
  std::mutex acked_mutex;
  std::set<int> acked_in, acked_out;
  std::atomic<int> acked_total{0};

  auto post_until_acked = [&](auto&& post) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
      if (post(port.load())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };

  std::thread inbound([&] {
    for (int i = 0; i < kPerDirection; ++i) {
      if (post_until_acked([&](int p) { return post_inbound(tw, p, i); })) {
        std::lock_guard l(acked_mutex);
        acked_in.insert(i);
      }
      ++acked_total;
    }
  });
  std::thread outbound([&] {
    for (int i = 0; i < kPerDirection; ++i) {
      if (post_until_acked([&](int p) { return post_outbound(inf, p, i); })) {
        std::lock_guard l(acked_mutex);
        acked_out.insert(i);
      }
      ++acked_total;
    }
  });

  std::mt19937 rng(42);
  for (int k = 0; k < kKills; ++k) {
    int at = (k + 1) * 2 * kPerDirection / (kKills + 1) + static_cast<int>(rng() % 200);
    while (acked_total < at) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s.child->signal(SIGKILL);
    s.child->wait(5s);
    s.start();
    port = s.port;
  }
  inbound.join();
  outbound.join();
  REQUIRE(acked_in.size() == kPerDirection);
  REQUIRE(acked_out.size() == kPerDirection);

  auto [in, out] = wait_for_deliveries(inf, tw, acked_in, acked_out, 90s);
  check(in, acked_in, "inbound", kKills);
  check(out, acked_out, "outbound", kKills);
}
