// Recovery after an upstream outage: the backlog built while Infinity and Twilio failed goes out
// as soon as each answers again, in order, once; while they fail, they are probed, not flooded,
// and status and /metrics say so.
#include "delivery_tally.h"

using namespace itest;

namespace {
constexpr int kPerDirection = 300;
}  // namespace

TEST_CASE("after a 10 s outage both ways the backlog is delivered within 10 s of the recovery", "[serve][recovery]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  // Production's backoff (relay.retryInitial 1s doubling to relay.retryMax 5m) and probe
  // interval (2s). With backoff per message, a conversation's head that failed during the
  // outage waited up to its next jittered attempt (uniform up to 16-32 s after 10 s of
  // failures), and its conversation behind it.
  cfg["relay"] = {{"upstreamTimeout", "2s"}};
  Serve s(cfg);

  auto outage_end = std::chrono::steady_clock::now() + 10s;
  fakes::Failure infinity_down;
  infinity_down.status = 503;
  infinity_down.until = outage_end;
  infinity_down.path_prefix = "/api/digital";
  inf.inject(infinity_down);
  fakes::Failure twilio_limited;
  twilio_limited.status = 429;
  twilio_limited.body = R"({"code":20429,"message":"Too Many Requests","status":429})";
  twilio_limited.until = outage_end;
  twilio_limited.path_prefix = "/2010-04-01";
  tw.inject(twilio_limited);

  // About 32 webhooks a second each way for 9.5 s, all during the outage.
  std::set<int> acked_in, acked_out;
  auto load = [&](auto&& post, std::set<int>& acked) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPerDirection; ++i) {
      std::this_thread::sleep_until(start + i * 9500ms / kPerDirection);
      if (post(i)) acked.insert(i);
    }
  };
  std::thread inbound([&] { load([&](int i) { return post_inbound(tw, s.port, i); }, acked_in); });
  std::thread outbound([&] { load([&](int i) { return post_outbound(inf, s.port, i); }, acked_out); });

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

  inbound.join();
  outbound.join();
  REQUIRE(acked_in.size() == kPerDirection);
  REQUIRE(acked_out.size() == kPerDirection);

  auto [in, out] = wait_for_deliveries(inf, tw, acked_in, acked_out, 60s);
  auto drained = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - outage_end);
  WARN("backlog of " << kPerDirection << " each way delivered " << drained.count() << " ms after the outage ended");
  check(in, acked_in, "inbound", 0);
  check(out, acked_out, "outbound", 0);
  CHECK(drained < 10s);

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
