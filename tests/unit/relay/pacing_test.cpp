// Each business number's send rate, what a reply costs of it, and the lane's paced messages.
#include <catch2/catch.hpp>

#include "fakes/serve_config.h"
#include "relay/pacing.h"

using namespace sms;
using nlohmann::json;

namespace {

store::Message reply(const std::string& from, const std::string& body) {
  store::Message m;
  m.direction = store::Direction::outbound;
  m.conversation = "+15551230001|" + from;
  m.payload = json{{"to", "+15551230001"}, {"from", from}, {"body", body}}.dump();
  return m;
}

}  // namespace

TEST_CASE("a number's rate comes from its kind, its own entry, or its tenant's, and mock mode is not paced") {
  auto c = fakes::configured({{"relay", {{"pacing", {{"numbers", {{"+14155550100", 10}, {"+14155550101", 0}}}}}}}});
  CHECK(relay::send_rate(c, "+14155550199") == 1);   // a long code
  CHECK(relay::send_rate(c, "+18005550100") == 3);   // toll-free
  CHECK(relay::send_rate(c, "+18335550100") == 3);
  CHECK(relay::send_rate(c, "+18125550100") == 1);   // +1 812 is not toll-free
  CHECK(relay::send_rate(c, "+448005550100") == 1);  // nor is a UK 800 number
  CHECK(relay::send_rate(c, "22395") == 30);         // a short code
  CHECK(relay::send_rate(c, "+14155550100") == 10);  // its own
  CHECK(relay::send_rate(c, "+14155550101") == 0);   // its own: not paced
  CHECK(relay::send_rate(fakes::configured({{"twilio", {{"isMockMode", true}}}}), "+14155550199") == 0);

  // A tenant's pacing keys are its own; what it does not set is the top level's.
  auto tree = fakes::configured({{"relay", {{"pacing", {{"tollFree", 5}}}}}}).tree();
  tree["tenants"]["acme"] = {{"twilio", {{"account", {{"sid", "AC1"}, {"authToken", "t"}}}}},
                             {"avaya", {{"isMockMode", true}, {"connectorId", "conn-acme"}}},
                             {"numbers", {"+14155550300", "+18005550300"}},
                             {"pacing", {{"longCode", 0.5}}}};
  config::Config with_tenant(tree);
  const auto* acme = with_tenant.tenant("acme");
  REQUIRE(acme);
  CHECK(relay::send_rate(*acme, "+14155550300") == 0.5);
  CHECK(relay::send_rate(*acme, "+18005550300") == 5);
  CHECK(relay::send_rate(with_tenant, "+14155550199") == 1);  // the default tenant keeps its own
  CHECK(with_tenant.masked()["tenants"]["acme"]["pacing"]["longCode"] == 0.5);
}

TEST_CASE("a reply costs its segments of its number's rate, or one with unit messages") {
  auto c = fakes::configured({{"relay", {{"pacing", {{"longCode", 2}}}}}});
  CHECK(relay::send_cost_us(c, reply("+14155550100", "short")) == 500'000);
  CHECK(relay::send_cost_us(c, reply("+14155550100", std::string(200, 'a'))) == 1'000'000);  // two GSM-7 segments
  CHECK(relay::send_cost_us(c, reply("+14155550100", std::string(80, 'a') + "\xe2\x98\x95")) == 1'000'000);  // UCS-2: 71 > 70
  auto by_message = fakes::configured({{"relay", {{"pacing", {{"longCode", 2}, {"unit", "messages"}}}}}});
  CHECK(relay::send_cost_us(by_message, reply("+14155550100", std::string(200, 'a'))) == 500'000);
  CHECK(relay::send_cost_us(fakes::configured({{"relay", {{"pacing", {{"longCode", 0}}}}}}), reply("+14155550100", "x")) == 0);
}

TEST_CASE("Twilio's rate refusals are 429 or code 20429") {
  Error e;
  e.http_status = 429;
  CHECK(relay::rate_limited(e));
  e.http_status = 400;
  e.provider_code = "20429";
  CHECK(relay::rate_limited(e));
  e.provider_code = "21610";
  CHECK_FALSE(relay::rate_limited(e));
}

TEST_CASE("the lane's paced queue gives held messages back at their slots and leaves skipped numbers out of claims") {
  relay::PacedQueue q;
  auto a = reply("+14155550100", "a");
  a.id = 1;
  auto b = reply("+14155550100", "b");
  b.id = 2;
  q.hold(b, 2000);
  q.hold(a, 1000);
  CHECK(q.next_us() == 1000);
  CHECK_FALSE(q.due(999));
  CHECK(q.due(1500)->id == 1);
  CHECK_FALSE(q.due(1500));
  CHECK(q.next_us() == 2000);

  q.skip("+14155550100", 5000);
  q.skip("+14155550100", 4000);  // a later skip never shortens one
  store::NumberFilter all;
  q.exclude_skipped(all, 3000);
  CHECK(all.mode == store::NumberFilter::Mode::except);
  CHECK(all.numbers == std::vector<std::string>{"+14155550100"});
  store::NumberFilter only{store::NumberFilter::Mode::only, {"+14155550100", "+14155550200"}};
  q.exclude_skipped(only, 3000);
  CHECK(only.numbers == std::vector<std::string>{"+14155550200"});
  store::NumberFilter later;
  q.exclude_skipped(later, 5000);  // its time has come
  CHECK(later.mode == store::NumberFilter::Mode::all);

  CHECK(q.take_all() == std::vector<std::int64_t>{2});
  CHECK_FALSE(q.next_us());
}
