// Reliability under SIGKILL: thousands of webhooks both ways while serve is killed and restarted.
// Every webhook that got a 2xx must reach the fake upstream, in order per conversation, with no
// more duplicates than kills.
#include <csignal>
#include <random>

#include "serve_fixture.h"

using namespace itest;

namespace {

constexpr int kPerDirection = 2000;
constexpr int kConversations = 10;
constexpr int kKills = 3;

std::string sid_for(int i) {
  char buf[35];
  std::snprintf(buf, sizeof buf, "SM%032x", i);
  return buf;
}
std::string user(int conv) { return "+1555000" + std::to_string(1000 + conv); }
const std::string kBusiness = "+15559990000";

// Index i from a relayed text "in-<i>" / "out-<i>".
int index_of(const std::string& text) { return std::stoi(text.substr(text.find('-') + 1)); }

struct Delivered {
  std::map<int, int> times;                 // i → how many times it arrived
  std::map<int, std::vector<int>> by_conv;  // conversation → i in arrival order (first arrivals)
};

Delivered tally(const std::vector<std::pair<int, int>>& arrivals) {  // (conversation, i)
  Delivered d;
  for (auto [conv, i] : arrivals)
    if (d.times[i]++ == 0) d.by_conv[conv].push_back(i);
  return d;
}

void check(const Delivered& d, const std::set<int>& acked, const char* direction) {
  INFO(direction);
  int duplicates = 0;
  for (auto& [i, n] : d.times) duplicates += n - 1;
  for (int i : acked) {
    INFO("message " << i);
    REQUIRE(d.times.count(i) == 1);
  }
  for (auto& [conv, seq] : d.by_conv) {
    INFO("conversation " << conv);
    CHECK(std::is_sorted(seq.begin(), seq.end()));
  }
  CHECK(duplicates <= kKills);
  WARN(direction << ": " << acked.size() << " acknowledged, " << d.times.size() << " delivered, "
                 << duplicates << " duplicates, " << kKills << " kills");
}

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
      int p = port.load();
      httplib::Client c("127.0.0.1", p);
      c.set_connection_timeout(0, 200000);
      c.set_read_timeout(5, 0);
      auto r = post(c, p);
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };

  std::thread inbound([&] {
    for (int i = 0; i < kPerDirection; ++i) {
      int conv = i % kConversations;
      sms::form::Fields f{{"MessageSid", sid_for(i)}, {"AccountSid", tw.account_sid()}, {"From", user(conv)},
                          {"To", kBusiness}, {"Body", "in-" + std::to_string(i)}, {"NumMedia", "0"}};
      bool ok = post_until_acked([&](httplib::Client& c, int p) {
        auto url = "http://127.0.0.1:" + std::to_string(p) + "/callbacks/twilio/sms";
        httplib::Headers h{{"X-Twilio-Signature", sms::twilio::compute_signature(tw.auth_token(), url, f)}};
        return c.Post("/callbacks/twilio/sms", h, sms::form::encode(f), "application/x-www-form-urlencoded");
      });
      if (ok) {
        std::lock_guard l(acked_mutex);
        acked_in.insert(i);
      }
      ++acked_total;
    }
  });
  std::thread outbound([&] {
    for (int i = 0; i < kPerDirection; ++i) {
      int conv = i % kConversations;
      auto body = agent_event("ev-" + std::to_string(i), inf.connector_id(), "out-" + std::to_string(i),
                              json::array({user(conv)}))
                      .dump();
      bool ok = post_until_acked([&](httplib::Client& c, int) {
        httplib::Headers h{{"x-avaya-event-signature", sms::infinity::compute_signature(kWebhookSecret, body)}};
        return c.Post("/callbacks/avaya/infinity/sms", h, body, "application/json");
      });
      if (ok) {
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

  auto deadline = std::chrono::steady_clock::now() + 90s;
  std::vector<std::pair<int, int>> in_arrivals, out_arrivals;
  while (std::chrono::steady_clock::now() < deadline) {
    in_arrivals.clear();
    out_arrivals.clear();
    for (auto& m : inf.messages()) {
      auto from = m.message["headers"]["from"].get<std::string>();
      in_arrivals.emplace_back(std::stoi(from.substr(from.size() - 4)) - 1000, index_of(m.message["body"]["text"]));
    }
    for (auto& m : tw.messages()) {
      auto to = m.form.find("To")->second;
      out_arrivals.emplace_back(std::stoi(to.substr(to.size() - 4)) - 1000, index_of(m.form.find("Body")->second));
    }
    if (tally(in_arrivals).times.size() >= kPerDirection && tally(out_arrivals).times.size() >= kPerDirection) break;
    std::this_thread::sleep_for(100ms);
  }
  check(tally(in_arrivals), acked_in, "inbound");
  check(tally(out_arrivals), acked_out, "outbound");
}
