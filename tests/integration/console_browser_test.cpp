// The operator console in a real browser: Debian's chromium, headless, driven over the DevTools
// protocol (tests/fakes/browser.h) against a serve wired to the fakes. Skipped, with a warning,
// where chromium is not installed (scripts/bootstrap installs it).
#include "fakes/browser.h"
#include "serve_fixture.h"

using namespace itest;
using sms::store::State;

namespace {

// A browser, or nullptr (with a warning: the test then passes without checking anything).
std::unique_ptr<fakes::Browser> browser_or_skip() {
  auto chromium = fakes::Browser::find_chromium();
  if (!chromium) {
    WARN("chromium is not installed: the console's browser tests are skipped (apt-get install chromium)");
    return nullptr;
  }
  return std::make_unique<fakes::Browser>(*chromium);
}

std::string console_url(const Serve& s, const std::string& fragment = "") {
  return "http://127.0.0.1:" + std::to_string(s.admin_port) + "/console/" + fragment;
}

// JavaScript for "the page's text includes `needle`" (needle holds no quote).
std::string shows(const std::string& needle) { return "document.body.innerText.includes('" + needle + "')"; }

// Signs in with the token in the fragment (as the CLI does) and opens `page`.
void open_signed_in(fakes::Browser& b, const Serve& s, const std::string& page) {
  b.open(console_url(s, "#token=" + std::string(kAdminToken) + "&page=" + page));
  REQUIRE(b.wait_for("document.querySelector('#nav') && !document.querySelector('#nav').hidden"));
}

// Whether the Messages table shows a row with `source_id` in `state`.
std::string row_shows(const std::string& source_id, const std::string& state) {
  return "[...document.querySelectorAll('#message-table tbody tr')].some(r => r.innerText.includes('" + source_id +
         "') && r.querySelector('.badge') && r.querySelector('.badge').textContent === '" + state + "')";
}

// A serve wired to the fakes, and a browser: null (the test skipped, with a warning) without chromium.
struct ConsoleSession {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s{fake_config(tw, inf)};
  std::unique_ptr<fakes::Browser> b = browser_or_skip();
};

}  // namespace

TEST_CASE("the console's files are served on the admin listener only, with a strict CSP", "[console]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));

  auto root = s.admin->Get("/");
  REQUIRE(root);
  CHECK(root->status == 302);
  CHECK(root->get_header_value("Location") == "/console/");
  auto index = s.admin->Get("/console/");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->get_header_value("Content-Type").starts_with("text/html"));
  CHECK(index->get_header_value("Content-Security-Policy") == "default-src 'self'; frame-ancestors 'none'");
  CHECK(index->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(index->get_header_value("Cache-Control") == "no-cache");
  CHECK(index->get_header_value("Referrer-Policy") == "no-referrer");
  CHECK(index->body.find("<script src=\"console.js\"") != std::string::npos);
  for (const auto* file : {"/console/console.js", "/console/console.css"}) {
    auto r = s.admin->Get(file);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(s.admin->Get("/console/console.js")->get_header_value("Content-Type").starts_with("text/javascript"));
  auto unknown = s.admin->Get("/console/secrets.txt");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(json::parse(unknown->body)["error"]["code"] == "not_found");

  // The webhook listener faces the internet: no console there.
  for (const auto* path : {"/", "/console/", "/console/console.js"}) {
    auto r = s.client->Get(path);
    REQUIRE(r);
    INFO(path);
    CHECK(r->status == 404);
  }
}

TEST_CASE_METHOD(ConsoleSession,
                 "the console signs in through its form: a wrong token is refused, the right one shows the overview",
                 "[console][browser]") {
  if (!b) return;

  b->open(console_url(s));
  REQUIRE(b->wait_for("!document.querySelector('#signin').hidden"));
  b->eval("document.querySelector('#token').value = 'not-the-token';"
          "document.querySelector('#signin-form button[type=submit]').click()");
  INFO(b->text());
  REQUIRE(b->wait_for(shows("Wrong token")));
  CHECK(b->eval("sessionStorage.length") == 0);

  b->eval(std::string("document.querySelector('#token').value = '") + kAdminToken + "';"
          "document.querySelector('#signin-form button[type=submit]').click()");
  REQUIRE(b->wait_for("document.querySelector('#readiness').innerText.startsWith('Ready')"));
  CHECK(b->wait_for("document.querySelector('#chart svg') !== null"));
  // Kept for the tab only: in sessionStorage, never a cookie or localStorage.
  CHECK(b->eval("document.cookie") == "");
  CHECK(b->eval("localStorage.length") == 0);

  b->eval("document.querySelector('#sign-out').click()");
  CHECK(b->wait_for("!document.querySelector('#signin').hidden && sessionStorage.length === 0"));
}

TEST_CASE_METHOD(ConsoleSession, "the console's overview says why serve is not ready", "[console][browser]") {
  if (!b) return;
  REQUIRE(s.admin_post("/api/configs", {{"avaya", {{"clientSecret", "wrong"}}}})->status == 200);
  open_signed_in(*b, s, "overview");
  INFO(b->text());
  REQUIRE(b->wait_for("document.querySelector('#readiness').innerText.startsWith('Not ready')"));
  CHECK(b->wait_for("document.querySelector('#readiness').innerText.includes('invalid_client')"));
  CHECK(b->text().find("wrong") == std::string::npos);  // the secret is never shown
}

TEST_CASE_METHOD(ConsoleSession, "the console takes the token from #token= once and removes it from the address bar",
                 "[console][browser]") {
  if (!b) return;

  open_signed_in(*b, s, "overview");
  CHECK(b->eval("location.hash") == "#page=overview");
  CHECK(b->wait_for(shows("Ready")));
  CHECK(s.child->output().find(kAdminToken) == std::string::npos);  // never in the server's log
}

TEST_CASE_METHOD(ConsoleSession, "a message sent through the fakes appears in the console's Messages table",
                 "[console][browser]") {
  if (!b) return;
  open_signed_in(*b, s, "messages");
  REQUIRE(b->wait_for(shows("No messages.")));

  auto sid = "SM" + std::string(31, '7');
  REQUIRE(s.post_twilio("/callbacks/twilio/sms", real_inbound(sid, tw.account_sid()), tw.auth_token())->status == 200);
  REQUIRE(s.wait_state(State::sent, 1));
  INFO(b->text());
  REQUIRE(b->wait_for(row_shows(sid, "sent")));  // the table refreshes by itself
  CHECK(b->wait_for(shows("***0199|***0100")));   // numbers redacted as the logs redact them

  b->eval("document.querySelector('#reveal').click()");
  CHECK(b->wait_for(shows("+14155550199|+14155550100")));

  // A bad filter: the API's message, as the API says it.
  auto refused = s.admin_get("/api/messages?number=12");
  REQUIRE(refused->status == 400);
  auto message = json::parse(refused->body)["error"]["message"].get<std::string>();
  b->eval("document.querySelector('#filters [name=number]').value = '12';"
          "document.querySelector('#filters button[type=submit]').click()");
  REQUIRE(b->wait_for("document.querySelector('#filters-error').textContent.length > 0"));
  CHECK(b->eval("document.querySelector('#filters-error').textContent") == message);
  b->eval("document.querySelector('#filters [name=number]').value = '';"
          "document.querySelector('#filters button[type=submit]').click()");
  REQUIRE(b->wait_for("document.querySelector('#filters-error').textContent === ''"));

  // Its detail: the attempt history.
  b->eval("document.querySelector('#message-table tbody a').click()");
  REQUIRE(b->wait_for("!document.querySelector('#message').hidden"));
  CHECK(b->wait_for("document.querySelectorAll('#attempts tbody tr').length === 1 && " + shows("Attempts")));
}

TEST_CASE_METHOD(ConsoleSession, "a dead letter retried with the console's button is delivered", "[console][browser]") {
  if (!b) return;
  tw.fail_with_code(400, 21211, "The 'To' number +14155550199 is not a valid phone number.");
  REQUIRE(s.post_infinity(agent_event("ev-console-dead", inf.connector_id()).dump())->status == 200);
  REQUIRE(s.wait_state(State::dead, 1));

  open_signed_in(*b, s, "messages");
  INFO(b->text());
  REQUIRE(b->wait_for(row_shows("ev-console-dead", "dead")));
  CHECK(b->wait_for(shows("21211")));  // the provider's code
  b->eval("[...document.querySelectorAll('#message-table tbody button')].find(x => x.textContent === 'Retry').click()");
  REQUIRE(b->wait_for(shows("queued again")));
  REQUIRE(b->wait_for(row_shows("ev-console-dead", "sent")));
  REQUIRE(tw.wait_for(2, 5s, "/2010-04-01"));  // refused once, then accepted
  REQUIRE(tw.messages().size() == 1);
  CHECK(tw.messages()[0].field("Body") == "Hi, how can I help you?");
}

TEST_CASE_METHOD(ConsoleSession,
                 "the console's configuration page shows each value's source and the API's validation message beside the field",
                 "[console][browser]") {
  if (!b) return;
  open_signed_in(*b, s, "config");
  REQUIRE(b->wait_for("document.getElementById('cfg-relay.retryMax') !== null"));
  // Secrets are masked.
  CHECK(b->text().find(kAdminToken) == std::string::npos);
  CHECK(b->eval("[...document.querySelectorAll('#config-fields input')].some(i => i.value.includes('" +
                std::string(kAdminToken) + "'))") == false);

  auto set_retry_max = [&](const std::string& value) {
    b->eval("document.getElementById('cfg-relay.retryMax').value = '" + value + "';"
            "document.querySelector('#config-form button[type=submit]').click()");
  };
  set_retry_max("soon");
  auto refused = s.admin_post("/api/configs", {{"relay", {{"retryMax", "soon"}}}});
  REQUIRE(refused->status == 400);
  auto message = json::parse(refused->body)["error"]["message"].get<std::string>();
  INFO(b->text());
  REQUIRE(b->wait_for("document.getElementById('cfg-relay.retryMax-error').textContent.length > 0"));
  CHECK(b->eval("document.getElementById('cfg-relay.retryMax-error').textContent") == message);

  auto source = [&](const std::string& key) { return b->eval("document.getElementById('cfg-" + key + "-source').textContent"); };
  CHECK(source("relay.maxMediaBytes") == "default");
  CHECK(source("relay.retryMax") == "file");
  set_retry_max("250ms");
  REQUIRE(b->wait_for(shows("Saved.")));
  CHECK(b->eval("document.getElementById('cfg-relay.retryMax-error').textContent") == "");
  CHECK(json::parse(s.admin_get("/api/configs")->body)["config"]["relay"]["retryMax"] == "250ms");
}
