#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/http_types.h"

using namespace sms::server;

namespace {
Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = r.target = std::move(path);
  return r;
}
}  // namespace

TEST_CASE("router dispatches by exact path and method") {
  Router router;
  router.add("GET", "/a", [](const Request&) { return json_response(200, {{"route", "get a"}}); });
  router.add("POST", "/a", [](const Request&) { return json_response(201, {{"route", "post a"}}); });
  CHECK(router.dispatch(req("GET", "/a")).status == 200);
  CHECK(router.dispatch(req("POST", "/a")).status == 201);

  auto nf = router.dispatch(req("GET", "/a/b"));
  CHECK(nf.status == 404);
  CHECK(nlohmann::json::parse(nf.body)["error"]["code"] == "not_found");

  auto na = router.dispatch(req("DELETE", "/a"));
  CHECK(na.status == 405);
  REQUIRE(na.headers.size() == 1);
  CHECK(na.headers[0] == std::pair<std::string, std::string>{"Allow", "GET, POST"});
}

TEST_CASE("router matches {name} segments after exact paths and hands them to the handler") {
  Router router;
  auto echo = [](const char* route) {
    return [route](const Request& r) { return json_response(200, {{"route", route}, {"params", r.path_params}}); };
  };
  router.add("GET", "/api/messages/{id}", echo("one"));
  router.add("POST", "/api/messages/{id}/retry", echo("retry"));
  router.add("POST", "/api/messages/retry-dead", echo("retry-dead"));
  auto body = [&](const Request& r) { return nlohmann::json::parse(router.dispatch(r).body); };
  CHECK(body(req("GET", "/api/messages/42")) == nlohmann::json{{"route", "one"}, {"params", {"42"}}});
  CHECK(body(req("POST", "/api/messages/42/retry")) == nlohmann::json{{"route", "retry"}, {"params", {"42"}}});
  CHECK(body(req("POST", "/api/messages/retry-dead"))["route"] == "retry-dead");  // the exact path wins
  CHECK(router.dispatch(req("GET", "/api/messages/retry-dead")).status == 405);
  CHECK(router.dispatch(req("GET", "/api/messages/")).status == 404);  // an empty segment is no id
  CHECK(router.dispatch(req("GET", "/api/messages/1/2")).status == 404);
  CHECK(router.dispatch(req("GET", "/api/messages")).status == 404);
  auto na = router.dispatch(req("DELETE", "/api/messages/42"));
  CHECK(na.status == 405);
  CHECK(na.headers.at(0).second == "GET");
}

TEST_CASE("query values are percent-decoded, '+' kept, absent ones nullopt") {
  Request r = req("GET", "/x");
  r.query = "number=+1555&q=a%20b&empty=&flag";
  CHECK(r.query_value("number") == "+1555");
  CHECK(r.query_value("q") == "a b");
  CHECK(r.query_value("empty") == "");
  CHECK(r.query_value("flag") == "");
  CHECK(r.query_value("missing") == std::nullopt);
}

TEST_CASE("error responses have the documented JSON shape") {
  auto r = error_response(400, "bad", "what was wrong", nlohmann::json::array({"a", "b"}));
  CHECK(r.status == 400);
  CHECK(r.content_type == "application/json");
  CHECK(nlohmann::json::parse(r.body) ==
        nlohmann::json{{"error", {{"code", "bad"}, {"message", "what was wrong"}, {"details", {"a", "b"}}}}});
  auto t = twiml_response();
  CHECK(t.status == 200);
  CHECK(t.content_type == "text/xml");
  CHECK(t.body == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
}
