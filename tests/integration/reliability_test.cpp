// Outages, duplicates and dead letters through the real serve and the outbox CLI.
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

TEST_CASE("an Infinity outage (503, then 429 with Retry-After, then timeouts) loses and repeats nothing", "[serve][reliability]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  auto cfg = fake_config(tw, inf);
  cfg["relay"]["upstreamTimeout"] = "300ms";
  fakes::Failure down;
  down.status = 503;
  down.times = 15;
  down.path_prefix = "/api/digital";
  inf.inject(down);
  fakes::Failure limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "1"}};
  limited.times = 3;
  limited.path_prefix = "/api/digital";
  inf.inject(limited);
  fakes::Failure slow;
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 600ms;
  slow.times = 3;
  slow.path_prefix = "/api/digital";
  inf.inject(slow);
  Serve s(cfg);

  const int conversations = 3, per = 10;
  for (int i = 0; i < per; ++i)
    for (int c = 0; c < conversations; ++c) {
      char sid[35];
      std::snprintf(sid, sizeof sid, "SM%030d%02d", i, c);
      auto f = real_inbound(sid, "AC33333333333333333333333333333333", std::to_string(i));
      for (auto& kv : f)
        if (kv.first == "From") kv.second = "+1555000000" + std::to_string(c);
      auto r = s.post_twilio("/callbacks/twilio/sms", f, tw.auth_token());
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
  REQUIRE(s.wait_state(State::sent, conversations * per, 30s));
  std::map<std::string, std::vector<int>> seen;
  std::set<std::string> ids;
  for (auto& m : inf.messages()) {
    seen[m.message["headers"]["from"]].push_back(std::stoi(m.message["body"]["text"].get<std::string>()));
    ids.insert(m.message["correlationId"]);
  }
  CHECK(ids.size() == conversations * per);
  for (auto& [conv, seq] : seen) {
    INFO(conv);
    CHECK(seq.size() == per);  // none twice: timeouts here fail before the fake records a delivery
    CHECK(std::is_sorted(seq.begin(), seq.end()));
  }
  CHECK(inf.count("/api/digital") >= conversations * per + 21);
}

TEST_CASE("the same MessageSid posted 10 times at once is relayed once", "[serve][reliability]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  auto fields = real_inbound();
  auto sig = sms::twilio::compute_signature(tw.auth_token(), s.base() + "/callbacks/twilio/sms", fields);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i)
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", s.port);
      auto r = c.Post("/callbacks/twilio/sms", {{"X-Twilio-Signature", sig}}, sms::form::encode(fields),
                      "application/x-www-form-urlencoded");
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 10);
  REQUIRE(inf.wait_for(1, 5s, "/api/digital"));
  std::this_thread::sleep_for(300ms);
  CHECK(inf.messages().size() == 1);
  CHECK((*s.store()->counts())[State::sent] == 1);
}

TEST_CASE("a permanent Twilio error (21211) leaves the message dead, listed by outbox list and queued again by outbox retry", "[serve][reliability]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  tw.fail_with_code(400, 21211, "Invalid 'To' Phone Number");
  Serve s(fake_config(tw, inf));
  auto r = s.post_infinity(agent_event("ev-21211", inf.connector_id()).dump());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  REQUIRE(s.wait_state(State::dead, 1));

  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", s.dir.file("config.json"), "outbox"});
    args.insert(args.end(), {"--data-dir", s.dir.file("data")});
    return fakes::run(args);
  };
  auto listed = cli({"list", "--state", "dead"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("21211") != std::string::npos);
  auto as_json = json::parse(cli({"list", "--state", "dead", "--json"}).out);
  REQUIRE(as_json.size() == 1);
  CHECK(as_json[0]["providerCode"] == "21211");
  auto id = as_json[0]["id"].get<std::int64_t>();
  auto shown = json::parse(cli({"show", std::to_string(id)}).out);
  CHECK(shown["attemptHistory"][0]["outcome"] == "dead");

  auto retried = cli({"retry", std::to_string(id)});  // serve is running: the relay picks it up
  CHECK(retried.exit_code == 0);
  REQUIRE(tw.wait_for(2, 5s, "/2010-04-01"));
  REQUIRE(s.wait_state(State::sent, 2));  // the reply, and the agent's notice of its first failure
  CHECK(tw.messages().size() == 1);
  auto again = cli({"retry", std::to_string(id)});
  CHECK(again.exit_code == 2);  // not dead any more
  CHECK(again.err.find("is sent, not dead, failed or expired") != std::string::npos);
  auto unknown = cli({"retry", "999"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("no message 999 in the outbox") != std::string::npos);
  CHECK(cli({"show", "999"}).exit_code == 2);
  CHECK(cli({"purge", "--older-than", "0s"}).out == "2 message(s) purged\n");  // the reply and its notice to the agent
  CHECK(cli({"purge", "--older-than", "soon"}).exit_code == 2);
}
