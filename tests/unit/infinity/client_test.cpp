#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_infinity.h"
#include "infinity/client.h"

using namespace sms;
using namespace std::chrono_literals;

namespace {
std::shared_ptr<infinity::TokenProvider> provider(const fakes::FakeInfinity& f, const std::string& secret = "") {
  return std::make_shared<infinity::TokenProvider>(
      infinity::ClientCredentials{f.url(), f.client_id(), secret.empty() ? f.client_secret() : secret},
      http::Timeouts{300ms, 300ms, 300ms});
}
}  // namespace

TEST_CASE("tokens are cached, refreshed early and fetched once for concurrent callers") {
  fakes::FakeInfinity f;
  auto p = provider(f);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { CHECK(p->get()); });
  for (auto& t : threads) t.join();
  CHECK(f.tokens_issued() == 1);
  auto t = *p->get();
  CHECK(f.tokens_issued() == 1);
  CHECK(t.expires_in == 900);
  CHECK(t.claims["organization"][0] == f.account_id());
  auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(t.refresh_at - std::chrono::system_clock::now()).count();
  CHECK(lifetime > 700);  // min(exp - 60 s, 80 % of 900 s = 720 s)
  CHECK(lifetime <= 720);

  f.set_expires_in(60);  // 80 % is 48 s, exp - 60 s is now: refresh at once
  auto q = provider(f);
  REQUIRE(q->get());
  REQUIRE(q->get());
  CHECK(f.tokens_issued() == 3);
}

TEST_CASE("OAuth errors are explained and failed refreshes back off") {
  fakes::FakeInfinity f;
  auto p = provider(f, "wrong-secret");
  auto r = p->get();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::auth);
  CHECK(r.error().provider_code == "invalid_client");
  CHECK(r.error().message.find("avaya.clientSecret") != std::string::npos);
  CHECK(r.error().message.find("wrong-secret") == std::string::npos);
  auto requests = f.count("/auth");
  CHECK_FALSE(p->get());
  CHECK(f.count("/auth") == requests);  // inside the backoff window: no new request

  auto c = http::Client::create(f.url());
  auto nf = infinity::request_token(**c, {f.url() + "", f.client_id(), f.client_secret()});
  REQUIRE(nf);
  fakes::Failure missing;
  missing.status = 404;
  missing.body = "not found";
  f.inject(missing);
  auto r404 = infinity::request_token(**c, {f.url(), f.client_id(), f.client_secret()});
  REQUIRE_FALSE(r404);
  CHECK(r404.error().message.find("avaya.host") != std::string::npos);
  fakes::Failure down;
  down.status = 503;
  f.inject(down);
  CHECK(infinity::request_token(**c, {f.url(), f.client_id(), f.client_secret()}).error().kind == ErrorKind::retryable);
}

TEST_CASE("Send Message: exact body, 401 refresh, 404 fallback, problem details") {
  fakes::FakeInfinity f;
  auto p = provider(f);
  infinity::Client c({f.url(), f.account_id(), std::string(infinity::kSampleSendPath)}, p, {300ms, 300ms, 300ms});
  nlohmann::json body = {{"connectorId", f.connector_id()}, {"channel", "text"},
                         {"body", {{"text", "hi"}, {"messageId", "nested-before"}}},
                         {"providerMetaData", {{"messageId", "SM1"}}}};
  auto r = c.send_message(body.dump());
  REQUIRE(r);
  // Infinity's id for the message, the top-level one of the echoed message: not the ones nested
  // before and after it (the fake answers with the keys sorted).
  CHECK(*r == "00000000000000000000000001");
  REQUIRE(f.messages().size() == 1);
  CHECK(f.messages()[0].message == body);
  CHECK(f.messages()[0].path == "/api/digital/messaging/v1/accounts/" + f.account_id() + "/messages");

  f.revoke_tokens();  // the next call gets 401, refreshes once and succeeds
  REQUIRE(c.send_message(body.dump()));
  CHECK(f.tokens_issued() == 2);

  f.set_account_path_enabled(false);
  REQUIRE(c.send_message(body.dump()));
  CHECK(f.messages().back().path == "/api/digital/messaging/v1/messages");
  REQUIRE(c.send_message(body.dump()));
  CHECK(f.count("/api/digital/messaging/v1/accounts") == 4);  // 2 ok, 1 revoked, 1 404; then it stuck

  fakes::Failure bad;
  bad.status = 400;
  bad.content_type = "application/problem+json";
  bad.body = R"({"type":"https://x/constraint-violation","title":"Constraint Violation","status":400,
                 "violations":[{"field":"channel","message":"invalid channel","code":20006}]})";
  f.inject(bad);
  auto e = c.send_message(body.dump());
  REQUIRE_FALSE(e);
  CHECK(e.error().kind == ErrorKind::permanent);
  CHECK(e.error().provider_code == "Constraint Violation");
  CHECK(e.error().message.find("channel: invalid channel") != std::string::npos);

  fakes::Failure busy;
  busy.status = 429;
  busy.headers = {{"Retry-After", "1"}};
  f.inject(busy);
  e = c.send_message(body.dump());
  CHECK(e.error().kind == ErrorKind::retryable);
  CHECK(e.error().retry_after == std::chrono::milliseconds(1000));

  fakes::Failure slow;
  slow.kind = fakes::Failure::Kind::timeout;
  slow.delay = 1s;
  f.inject(slow);
  CHECK(c.send_message(body.dump()).error().kind == ErrorKind::timeout);
}
