// Load and bookkeeping shared by the tests that kill things mid-run (crash_test, ha_test):
// numbered webhooks over a few conversations, and what arrived at the fake upstreams.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "serve_fixture.h"

namespace itest {

inline constexpr int kConversations = 10;
inline const std::string kBusiness = "+15559990000";

inline std::string sid_for(int i) {
  char buf[35];
  std::snprintf(buf, sizeof buf, "SM%032x", i);
  return buf;
}
inline std::string user(int conv) { return "+1555000" + std::to_string(1000 + conv); }

// Posts inbound webhook i (Twilio SMS "in-<i>", conversation i % kConversations) to the serve on
// `port`; true when acknowledged.
inline bool post_inbound(const fakes::FakeTwilio& tw, int port, int i) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 200000);
  c.set_read_timeout(5, 0);
  sms::form::Fields f{{"MessageSid", sid_for(i)}, {"AccountSid", tw.account_sid()}, {"From", user(i % kConversations)},
                      {"To", kBusiness}, {"Body", "in-" + std::to_string(i)}, {"NumMedia", "0"}};
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/callbacks/twilio/sms";
  httplib::Headers h{{"X-Twilio-Signature", sms::twilio::compute_signature(tw.auth_token(), url, f)}};
  auto r = c.Post("/callbacks/twilio/sms", h, sms::form::encode(f), "application/x-www-form-urlencoded");
  return r && r->status == 200;
}

// Posts outbound webhook i (an agent's "out-<i>" to conversation i % kConversations).
inline bool post_outbound(const fakes::FakeInfinity& inf, int port, int i) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 200000);
  c.set_read_timeout(5, 0);
  auto body = agent_event("ev-" + std::to_string(i), inf.connector_id(), "out-" + std::to_string(i),
                          json::array({user(i % kConversations)}))
                  .dump();
  httplib::Headers h{{"x-avaya-event-signature", sms::infinity::compute_signature(kWebhookSecret, body)}};
  auto r = c.Post("/callbacks/avaya/infinity/sms", h, body, "application/json");
  return r && r->status == 200;
}

struct Delivered {
  std::map<int, int> times;                 // i → how many times it arrived
  std::map<int, std::vector<int>> by_conv;  // conversation → i in arrival order (first arrivals)
};

// Index i from a relayed text "in-<i>" / "out-<i>".
inline int index_of(const std::string& text) { return std::stoi(text.substr(text.find('-') + 1)); }

inline Delivered tally(const std::vector<std::pair<int, int>>& arrivals) {  // (conversation, i)
  Delivered d;
  for (auto [conv, i] : arrivals)
    if (d.times[i]++ == 0) d.by_conv[conv].push_back(i);
  return d;
}

// Whether every message in `acked` arrived.
inline bool arrived(const Delivered& d, const std::set<int>& acked) {
  return std::all_of(acked.begin(), acked.end(), [&](int i) { return d.times.count(i) > 0; });
}

// What reached Infinity (inbound) and Twilio (outbound), once every acknowledged message arrived
// each way or `timeout` passed. (Waiting for as many arrivals as acknowledgements returned too
// early when a webhook committed but not answered before a kill arrived as well.)
inline std::pair<Delivered, Delivered> wait_for_deliveries(const fakes::FakeInfinity& inf, const fakes::FakeTwilio& tw,
                                                           const std::set<int>& acked_in, const std::set<int>& acked_out,
                                                           std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<std::pair<int, int>> in, out;
    for (auto& m : inf.messages()) {
      auto from = m.message["headers"]["from"].get<std::string>();
      in.emplace_back(std::stoi(from.substr(from.size() - 4)) - 1000, index_of(m.message["body"]["text"]));
    }
    for (auto& m : tw.messages()) {
      auto to = m.form.find("To")->second;
      out.emplace_back(std::stoi(to.substr(to.size() - 4)) - 1000, index_of(m.form.find("Body")->second));
    }
    auto result = std::make_pair(tally(in), tally(out));
    if ((arrived(result.first, acked_in) && arrived(result.second, acked_out)) || std::chrono::steady_clock::now() > deadline)
      return result;
    std::this_thread::sleep_for(100ms);
  }
}

// Every acknowledged message arrived, first arrivals in order per conversation, and no more
// repeats than `max_duplicates`.
inline void check(const Delivered& d, const std::set<int>& acked, const char* direction, int max_duplicates) {
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
  CHECK(duplicates <= max_duplicates);
  WARN(direction << ": " << acked.size() << " acknowledged, " << d.times.size() << " delivered, " << duplicates
                 << " duplicates (at most " << max_duplicates << " allowed)");
}

}  // namespace itest
