// Recovery after an upstream outage: the backlog built while Infinity and Twilio failed goes out
// as soon as each answers again, in order, once; while they fail, they are probed, not flooded,
// and status and /metrics say so; SIGKILL restarts during the outage change none of it.
#include <atomic>
#include <csignal>
#include <functional>

#include "delivery_tally.h"

using namespace itest;

namespace {

constexpr int kPerDirection = 300;

// Production's backoff (relay.retryInitial 1s doubling to relay.retryMax 5m) and probe interval
// (2s). With backoff per message, a conversation's head that failed during the outage waited up
// to its next jittered attempt (uniform up to 16-32 s after 10 s of failures), and its
// conversation behind it.
json production_backoff(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf) {
  auto cfg = fake_config(tw, inf);
  cfg["relay"] = {{"upstreamTimeout", "2s"}, {"pacing", cfg["relay"]["pacing"]}};
  return cfg;
}

// Infinity answers 503 and Twilio 429 (code 20429) to every delivery for 10 s; returns when it ends.
std::chrono::steady_clock::time_point outage(fakes::FakeTwilio& tw, fakes::FakeInfinity& inf) {
  auto end = std::chrono::steady_clock::now() + 10s;
  fakes::Failure infinity_down;
  infinity_down.status = 503;
  infinity_down.until = end;
  infinity_down.path_prefix = "/api/digital";
  inf.inject(infinity_down);
  fakes::Failure twilio_limited;
  twilio_limited.status = 429;
  twilio_limited.body = R"({"code":20429,"message":"Too Many Requests","status":429})";
  twilio_limited.until = end;
  twilio_limited.path_prefix = "/2010-04-01";
  tw.inject(twilio_limited);
  return end;
}

// kPerDirection webhooks each way, evenly over 9.5 s (all during the outage), each posted to
// port() until answered 200 (serve may be restarting); returns those acknowledged each way.
std::pair<std::set<int>, std::set<int>> load(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf,
                                             const std::function<int()>& port) {
  auto paced = [&](auto&& post) {
    std::set<int> acked;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPerDirection; ++i) {
      std::this_thread::sleep_until(start + i * 9500ms / kPerDirection);
      for (int attempt = 0; attempt < 400 && !acked.count(i); ++attempt) {
        if (post(port(), i)) acked.insert(i);
        else std::this_thread::sleep_for(5ms);
      }
    }
    return acked;
  };
  std::set<int> acked_out;
  std::thread outbound([&] { acked_out = paced([&](int p, int i) { return post_outbound(inf, p, i); }); });
  auto acked_in = paced([&](int p, int i) { return post_inbound(tw, p, i); });
  outbound.join();
  return {acked_in, acked_out};
}

// Every acknowledged message delivered once (or repeated at most `duplicates` times), in order,
// within 10 s of the outage's end.
void check_recovered(const fakes::FakeInfinity& inf, const fakes::FakeTwilio& tw,
                     const std::pair<std::set<int>, std::set<int>>& acked,
                     std::chrono::steady_clock::time_point outage_end, int duplicates) {
  REQUIRE(acked.first.size() == kPerDirection);
  REQUIRE(acked.second.size() == kPerDirection);
  auto [in, out] = wait_for_deliveries(inf, tw, acked.first, acked.second, 60s);
  auto drained = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - outage_end);
  WARN("backlog of " << kPerDirection << " each way delivered " << drained.count() << " ms after the outage ended");
  check(in, acked.first, "inbound", duplicates);
  check(out, acked.second, "outbound", duplicates);
  CHECK(drained < 10s);
}

}  // namespace

TEST_CASE("after a 10 s outage both ways the backlog is delivered within 10 s of the recovery", "[serve][recovery]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(production_backoff(tw, inf));
  auto outage_end = outage(tw, inf);
  std::pair<std::set<int>, std::set<int>> acked;
  std::thread loader([&] { acked = load(tw, inf, [&] { return s.port; }); });

  std::this_thread::sleep_for(5s);
  auto status = s.admin_get("/api/status");
  REQUIRE(status);
  REQUIRE(status->status == 200);
  auto body = json::parse(status->body);
  INFO(body.dump(2));
  for (const char* upstream : {"infinity", "twilio"}) {
    const auto& u = body["upstreams"][upstream];
    CHECK(u["state"] == "failing");
    CHECK(u["failingSince"].is_string());
    CHECK(u["nextProbe"].is_string());
    CHECK_FALSE(u["lastError"].get<std::string>().empty());
  }
  CHECK(body["status"] == "ready");  // webhooks are still stored
  auto metrics = s.admin_get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infinity_sms_upstream_failing_seconds{upstream=\"infinity\"} 0\n") == std::string::npos);
  CHECK(metrics->body.find("infinity_sms_upstream_failing_seconds{upstream=\"twilio\"} 0\n") == std::string::npos);

  loader.join();
  check_recovered(inf, tw, acked, outage_end, 0);

  // While failing, each upstream saw its first failures (the deliveries in flight when the outage
  // began) and then about one probe every 2 s: not an attempt per waiting conversation.
  auto tried_in = inf.count_before("/api/digital", outage_end);
  auto tried_out = tw.count_before("/2010-04-01", outage_end);
  INFO("requests during the outage: Infinity " << tried_in << ", Twilio " << tried_out);
  CHECK(tried_in <= 20);
  CHECK(tried_out <= 20);

  auto after = json::parse(s.admin_get("/api/status")->body);
  CHECK(after["upstreams"]["infinity"]["state"] == "healthy");
  CHECK(after["upstreams"]["twilio"]["state"] == "healthy");
  CHECK(s.child->output().find("upstream infinity answers again") != std::string::npos);
}

TEST_CASE("SIGKILL restarts during an outage lose nothing, and the backlog still goes out at once", "[serve][recovery]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = production_backoff(tw, inf);
  // A kill can repeat each delivery in flight: one per direction here, so duplicates <= kills.
  cfg["relay"]["concurrency"] = 1;
  Serve s(cfg);
  std::atomic<int> port{s.port};
  auto outage_end = outage(tw, inf);
  std::pair<std::set<int>, std::set<int>> acked;
  std::thread loader([&] { acked = load(tw, inf, [&] { return port.load(); }); });
  // Three kills while the upstreams fail (each restart starts healthy, and finds them failing
  // again), and one as the backlog goes out.
  constexpr int kKills = 4;
  for (auto at : {2500ms, 5000ms, 7500ms, 10050ms}) {
    std::this_thread::sleep_until(outage_end - 10s + at);
    s.child->signal(SIGKILL);
    s.child->wait(5s);
    s.start();
    port = s.port;
  }
  loader.join();
  check_recovered(inf, tw, acked, outage_end, kKills);
  // Each restart tries what is due at once, up to relay.concurrency, before it finds the upstream
  // failing: a few requests more per restart, still not one per waiting conversation.
  auto tried_in = inf.count_before("/api/digital", outage_end);
  auto tried_out = tw.count_before("/2010-04-01", outage_end);
  INFO("requests during the outage: Infinity " << tried_in << ", Twilio " << tried_out);
  CHECK(tried_in <= 30);
  CHECK(tried_out <= 30);
}
