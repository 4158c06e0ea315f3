// The opt-out register's operator tools: the optout command and /api/optouts, on both store
// backends, with imports that store all of a file or nothing.
#include <algorithm>
#include <tuple>

#include "fakes/test_database.h"
#include "serve_fixture.h"

using namespace itest;

namespace {

constexpr const char* kBusiness = "+15559870002";

// An opt-out register with the CLI pointed at it: a SQLite data directory, or a fresh
// PostgreSQL database (store.url) on the test cluster.
struct Register {
  explicit Register(const std::string& backend) {
    if (backend == "postgresql") db = std::make_unique<fakes::TestDatabase>();
    std::ofstream(dir.file("config.json")) << config().dump();
  }

  json config() const {
    json c = {{"server", {{"adminToken", kAdminToken}}}};
    if (db) c["store"] = {{"url", db->url()}};
    return c;
  }

  // infinity-sms optout ARGS --data-dir <this register's directory>
  fakes::RunResult operator()(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--config", dir.file("config.json"), "optout"});
    args.insert(args.end(), {"--data-dir", dir.file("data")});
    return fakes::run(args, {}, input, 60s);
  }

  json list() const {
    auto r = (*this)({"list", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }

  fakes::TempDir dir;
  std::unique_ptr<fakes::TestDatabase> db;
};

std::string end_user(int i) { return "+1555" + std::to_string(2000000 + i); }

// A CSV of `n` opt-outs from kBusiness; line `bad_line` (the header is line 1), if any, holds a
// malformed end-user number.
std::string csv_of(int n, int bad_line = 0) {
  std::string csv = "business_number,end_user_number,since,source\r\n";
  for (int i = 0; i < n; ++i) csv += std::string(kBusiness) + "," + end_user(i) + (i + 2 == bad_line ? "x" : "") + ",,\r\n";
  return csv;
}

std::string bad_number_message(int line) {
  return "line " + std::to_string(line) + ": end_user_number '" + end_user(line - 2) +
         "x' is not an E.164 number (+ and up to 15 digits)";
}

httplib::Headers bearer(const std::string& token = kAdminToken) { return {{"Authorization", "Bearer " + token}}; }

std::int64_t count(Serve& s) {
  auto r = s.admin_get("/api/optouts");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body)["count"].get<std::int64_t>();
}

json serve_config(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const Register& reg) {
  auto cfg = fake_config(tw, inf);
  if (reg.db) cfg["store"] = {{"url", reg.db->url()}};
  cfg["server"]["maxBodyBytes"] = 4 << 20;  // room for a 10,000-line CSV
  return cfg;
}

}  // namespace

TEST_CASE("optout add, list, remove, export, and import into a fresh store gives the same list", "[cli][optout]") {
  auto backend = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO(backend);
  Register reg(backend);
  if (backend == "sqlite") {
    // Reading a register that does not exist is a mistake (a mistyped --data-dir), not an empty list.
    auto missing = reg({"list"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("no outbox at ") != std::string::npos);
  }
  auto added = reg({"add", kBusiness, "+15551230001"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out == "opt-out added: +15551230001 gets nothing more from +15559870002\n");
  REQUIRE(reg({"add", kBusiness, "+447700900123"}).exit_code == 0);
  REQUIRE(reg({"add", "+15559870001", "+15551230001"}).exit_code == 0);
  REQUIRE(reg({"add", kBusiness, "+15551230001"}).exit_code == 0);  // again: the pair is registered once

  for (auto [business, user] : {std::pair{"15559870002", "+15551230001"}, std::pair{kBusiness, "12"}, std::pair{kBusiness, "+1555abc"}}) {
    auto bad = reg({"add", business, user});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("is not an E.164 number (+ and up to 15 digits)") != std::string::npos);
  }

  auto table = reg({"list"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.rfind("BUSINESS", 0) == 0);
  CHECK(table.out.find("+447700900123") != std::string::npos);
  auto listed = reg.list();
  REQUIRE(listed.size() == 3);
  // By business number, then end-user number.
  CHECK(listed[0]["businessNumber"] == "+15559870001");
  CHECK(listed[1]["endUserNumber"] == "+15551230001");
  CHECK(listed[2]["endUserNumber"] == "+447700900123");
  for (const auto& o : listed) {
    CHECK(o["source"] == "operator");
    CHECK(o["keyword"] == "");
    CHECK(o["since"].get<std::string>().back() == 'Z');
  }

  auto removed = reg({"remove", "+15559870001", "+15551230001"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.find("opt-out removed") != std::string::npos);
  auto again = reg({"remove", "+15559870001", "+15551230001"});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("nothing removed") != std::string::npos);
  CHECK(reg({"remove", "+15559870001", "555"}).exit_code == 2);
  listed = reg.list();
  REQUIRE(listed.size() == 2);

  auto exported = reg({"export"});
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.out.rfind("business_number,end_user_number,since,source\n", 0) == 0);
  CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == 3);

  // Into a fresh store from a file, and into another from standard input: the same register.
  Register from_file(backend), from_stdin(backend);
  std::ofstream(from_file.dir.file("opt-outs.csv")) << exported.out;
  auto imported = from_file({"import", from_file.dir.file("opt-outs.csv")});
  INFO(imported.err);
  CHECK(imported.exit_code == 0);
  CHECK(imported.out == "2 opt-out(s) imported\n");
  CHECK(from_file.list() == listed);
  auto piped = from_stdin({"import", "-"}, exported.out);
  CHECK(piped.exit_code == 0);
  CHECK(from_stdin.list() == listed);
  CHECK(from_stdin({"export"}).out == exported.out);

  // A pair twice in one file, and a file with only the numbers: source import, since now.
  auto twice = from_stdin({"import", "-"}, "end_user_number,business_number\n+15551230009,+15559870002\n+15551230009,+15559870002\n");
  INFO(twice.err);
  CHECK(twice.exit_code == 0);
  auto after = from_stdin.list();
  REQUIRE(after.size() == 3);
  CHECK(after[1]["endUserNumber"] == "+15551230009");
  CHECK(after[1]["source"] == "import");

  auto unreadable = from_stdin({"import", from_stdin.dir.file("no-such.csv")});
  CHECK(unreadable.exit_code == 2);
  CHECK(unreadable.err.find("cannot read ") != std::string::npos);
}

TEST_CASE("optout import of 10,000 lines with one bad line imports nothing and names the line", "[cli][optout]") {
  auto backend = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO(backend);
  Register reg(backend);
  REQUIRE(reg({"add", "+15559870001", "+15551230001"}).exit_code == 0);
  std::ofstream(reg.dir.file("bad.csv")) << csv_of(10000, 7778);
  auto bad = reg({"import", reg.dir.file("bad.csv")});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "infinity-sms: " + reg.dir.file("bad.csv") + ": " + bad_number_message(7778) + "; nothing imported\n");
  CHECK(bad.out.empty());
  CHECK(reg.list().size() == 1);  // only what was there before

  auto good = reg({"import", "-"}, csv_of(10000));
  INFO(good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.out == "10000 opt-out(s) imported\n");
  auto listed = reg.list();
  REQUIRE(listed.size() == 10001);
  CHECK(listed[1]["endUserNumber"] == end_user(0));
  CHECK(listed[1]["source"] == "import");
  auto exported = reg({"export"});
  CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == 10002);
}

TEST_CASE("the optout command works on the register a running serve uses", "[cli][optout][serve]") {
  auto backend = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO(backend);
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Register reg(backend);
  Serve s(serve_config(tw, inf, reg));
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", s.dir.file("config.json"), "optout"});
    args.insert(args.end(), {"--data-dir", s.dir.file("data")});
    return fakes::run(args);
  };
  auto added = cli({"add", kBusiness, "+15551230001"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(count(s) == 1);
  auto posted = s.admin_post("/api/optouts", {{"businessNumber", kBusiness}, {"endUserNumber", "+15551230002"}});
  REQUIRE(posted);
  CHECK(posted->status == 200);
  auto listed = json::parse(cli({"list", "--json"}).out);
  REQUIRE(listed.size() == 2);
  CHECK(listed[1]["endUserNumber"] == "+15551230002");
  CHECK(cli({"remove", kBusiness, "+15551230001"}).exit_code == 0);
  CHECK(count(s) == 1);
}

TEST_CASE("/api/optouts needs the admin token, and lists, adds and removes opt-outs", "[serve][admin][optout]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Register reg("sqlite");
  Serve s(serve_config(tw, inf, reg));
  const json one = {{"businessNumber", kBusiness}, {"endUserNumber", "+15551230001"}};
  const std::string query = "/api/optouts?businessNumber=%2B15559870002&endUserNumber=%2B15551230001";

  for (const auto& headers : {httplib::Headers{}, bearer("wrong-token"), httplib::Headers{{"Authorization", "Basic eDp5"}}}) {
    auto get = s.admin->Get("/api/optouts", headers);
    auto post = s.admin->Post("/api/optouts", headers, one.dump(), "application/json");
    auto csv = s.admin->Post("/api/optouts", headers, csv_of(2), "text/csv");
    auto del = s.admin->Delete(query, headers);
    for (auto* r : {&get, &post, &csv, &del}) {
      REQUIRE(*r);
      CHECK((*r)->status == 401);
      CHECK(json::parse((*r)->body)["error"]["code"].is_string());
    }
  }
  CHECK(count(s) == 0);  // nothing got in without the token
  // The admin listener only: the webhook listener does not know the path.
  auto on_webhooks = s.client->Get("/api/optouts", bearer());
  REQUIRE(on_webhooks);
  CHECK(on_webhooks->status == 404);

  auto posted = s.admin_post("/api/optouts", one);
  REQUIRE(posted);
  CHECK(posted->status == 200);
  CHECK(json::parse(posted->body) == json{{"added", 1}});
  auto array = s.admin_post("/api/optouts", json::array({{{"businessNumber", kBusiness}, {"endUserNumber", "+447700900123"}},
                                                         {{"businessNumber", "+15559870001"}, {"endUserNumber", "+15551230001"},
                                                          {"since", "2025-09-14T17:03:14Z"}, {"source", "migrated"}}}));
  REQUIRE(array);
  CHECK(array->status == 200);
  CHECK(json::parse(array->body) == json{{"added", 2}});

  auto got = s.admin_get("/api/optouts");
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->get_header_value("Content-Type").rfind("application/json", 0) == 0);
  auto body = json::parse(got->body);
  CHECK(body["count"] == 3);
  REQUIRE(body["optOuts"].size() == 3);
  CHECK(body["optOuts"][0] == json{{"businessNumber", "+15559870001"}, {"endUserNumber", "+15551230001"},
                                   {"since", "2025-09-14T17:03:14.000Z"}, {"source", "migrated"}, {"keyword", ""}});
  CHECK(body["optOuts"][1]["source"] == "operator");
  CHECK(body["optOuts"][2]["endUserNumber"] == "+447700900123");
  // GET's items can be posted back as they are.
  auto echoed = s.admin_post("/api/optouts", body["optOuts"]);
  REQUIRE(echoed);
  CHECK(echoed->status == 200);
  CHECK(json::parse(s.admin_get("/api/optouts")->body) == body);

  auto as_csv = s.admin_get("/api/optouts?format=csv");
  REQUIRE(as_csv);
  CHECK(as_csv->status == 200);
  CHECK(as_csv->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
  CHECK(as_csv->body.rfind("business_number,end_user_number,since,source\n"
                           "+15559870001,+15551230001,2025-09-14T17:03:14.000Z,migrated\n", 0) == 0);
  CHECK(std::count(as_csv->body.begin(), as_csv->body.end(), '\n') == 4);
  auto format = s.admin_get("/api/optouts?format=xml");
  REQUIRE(format);
  CHECK(format->status == 400);
  CHECK(json::parse(format->body)["error"]["code"] == "invalid_query");

  auto removed = s.admin->Delete(query, bearer());
  REQUIRE(removed);
  CHECK(removed->status == 200);
  CHECK(json::parse(removed->body) == json{{"removed", true}});
  auto gone = s.admin->Delete(query, bearer());
  REQUIRE(gone);
  CHECK(gone->status == 404);
  CHECK(json::parse(gone->body)["error"]["code"] == "opt_out_not_found");
  // A '+' written as it is stays a '+' (not a space, as in forms).
  auto plain = s.admin->Delete("/api/optouts?endUserNumber=+447700900123&businessNumber=+15559870002", bearer());
  REQUIRE(plain);
  CHECK(plain->status == 200);
  for (const char* bad : {"/api/optouts", "/api/optouts?businessNumber=%2B15559870002", "/api/optouts?businessNumber=1555&endUserNumber=%2B15551230001"}) {
    INFO(bad);
    auto r = s.admin->Delete(bad, bearer());
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["code"] == "invalid_query");
  }
  CHECK(count(s) == 1);

  // Bad bodies: nothing of them is stored, and the answer says which item and why.
  auto bad_item = s.admin_post("/api/optouts", json::array({{{"businessNumber", kBusiness}, {"endUserNumber", "+15551230005"}},
                                                            {{"businessNumber", kBusiness}, {"endUserNumber", "12"}}}));
  REQUIRE(bad_item);
  CHECK(bad_item->status == 400);
  auto error = json::parse(bad_item->body)["error"];
  CHECK(error["code"] == "invalid_opt_out");
  CHECK(error["message"] == "index 1: endUserNumber \"12\" is not an E.164 number (+ and up to 15 digits); nothing was stored");
  for (const auto& [text, code, words] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {R"({"businessNumber":"+15559870002"})", "invalid_opt_out", "endUserNumber is missing"},
           {R"({"businessNumber":"+15559870002","endUserNumber":"+15551230005","endUser":"x"})", "invalid_opt_out", "unknown field 'endUser'"},
           {R"({"businessNumber":"+15559870002","endUserNumber":15551230005})", "invalid_opt_out", "is not an E.164 number"},
           {R"({"businessNumber":"+15559870002","endUserNumber":"+15551230005","since":"yesterday"})", "invalid_opt_out", "ISO 8601"},
           {R"(["+15551230005"])", "invalid_opt_out", "index 0: not an object"},
           {R"("+15551230005")", "invalid_opt_out", "the body must be an object"},
           {R"({"businessNumber":"+15559870002","businessNumber":"+15559870001"})", "invalid_json", "duplicate"},
           {"{", "invalid_json", ""}}) {
    INFO(text);
    auto r = s.admin->Post("/api/optouts", bearer(), text, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    auto e = json::parse(r->body)["error"];
    CHECK(e["code"] == code);
    CHECK(e["message"].get<std::string>().find(words) != std::string::npos);
  }
  auto form = s.admin->Post("/api/optouts", bearer(), "businessNumber=%2B15559870002", "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 415);
  CHECK(json::parse(form->body)["error"]["code"] == "unsupported_media_type");
  CHECK(count(s) == 1);
}

TEST_CASE("POST /api/optouts with a 10,000-line CSV with one bad line stores nothing and names the line", "[serve][admin][optout]") {
  auto backend = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO(backend);
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Register reg(backend);
  Serve s(serve_config(tw, inf, reg));
  s.admin->set_read_timeout(30, 0);

  auto bad = s.admin->Post("/api/optouts", bearer(), csv_of(10000, 9001), "text/csv");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto error = json::parse(bad->body)["error"];
  CHECK(error["code"] == "invalid_csv");
  CHECK(error["message"] == bad_number_message(9001) + "; nothing was stored");
  CHECK(count(s) == 0);
  auto header = s.admin->Post("/api/optouts", bearer(), "phone\n+15551230001\n", "text/csv");
  REQUIRE(header);
  CHECK(header->status == 400);
  CHECK(json::parse(header->body)["error"]["message"].get<std::string>().find("line 1: unknown column 'phone'") == 0);

  auto good = s.admin->Post("/api/optouts", bearer(), "\xEF\xBB\xBF" + csv_of(10000), "text/csv; charset=utf-8");
  REQUIRE(good);
  CHECK(good->status == 200);
  CHECK(json::parse(good->body) == json{{"added", 10000}});
  CHECK(count(s) == 10000);
  auto listed = json::parse(s.admin_get("/api/optouts")->body)["optOuts"];
  CHECK(listed[0]["source"] == "import");
  // The same register through the command line.
  auto exported = fakes::run({"--config", s.dir.file("config.json"), "optout", "export", "--data-dir", s.dir.file("data")});
  CHECK(exported.exit_code == 0);
  CHECK(exported.out == s.admin_get("/api/optouts?format=csv")->body);
}

TEST_CASE("/api/optouts answers 503 store_unavailable while the shared store is unreachable", "[serve][admin][optout][ha]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Register reg("postgresql");
  Serve s(serve_config(tw, inf, reg));
  REQUIRE(s.admin_post("/api/optouts", {{"businessNumber", kBusiness}, {"endUserNumber", "+15551230001"}})->status == 200);
  auto url = reg.db->url();
  auto name = url.substr(url.rfind('/') + 1);
  fakes::TestDatabase::admin_exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
  fakes::TestDatabase::admin_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");

  auto get = s.admin_get("/api/optouts");
  auto post = s.admin_post("/api/optouts", {{"businessNumber", kBusiness}, {"endUserNumber", "+15551230002"}});
  auto del = s.admin->Delete("/api/optouts?businessNumber=%2B15559870002&endUserNumber=%2B15551230001", bearer());
  for (auto* r : {&get, &post, &del}) {
    REQUIRE(*r);
    CHECK((*r)->status == 503);
    CHECK(json::parse((*r)->body)["error"]["code"] == "store_unavailable");
  }
  CHECK(s.child->output().find(reg.db->url()) == std::string::npos);

  fakes::TestDatabase::admin_exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
  auto deadline = std::chrono::steady_clock::now() + 15s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    if (auto r = s.admin_get("/api/optouts")) status = r->status;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  CHECK(status == 200);
  CHECK(count(s) == 1);  // the POST while unreachable stored nothing
}
