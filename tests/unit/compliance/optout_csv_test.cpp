#include <catch2/catch.hpp>

#include "compliance/optout_csv.h"
#include "core/clock.h"
#include "core/text.h"

using namespace sms;
using sms::compliance::parse_csv;
using sms::compliance::to_csv;

namespace {

constexpr std::int64_t kNow = 1757869394973;  // 2025-09-14T17:03:14.973Z

store::OptOut opt_out(std::string business, std::string end_user, std::int64_t since, std::string source,
                      std::string keyword = "") {
  return {std::move(business), std::move(end_user), since, std::move(source), std::move(keyword)};
}

// The error of a parse that must fail.
std::string error_of(std::string_view text) {
  auto r = parse_csv(text, kNow, "import");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::invalid_input);
  return r.error().message;
}

std::vector<store::OptOut> parsed(std::string_view text) {
  auto r = parse_csv(text, kNow, "import");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("to_csv writes the header and one line per opt-out, times in ISO 8601 UTC") {
  CHECK(to_csv({}) == "business_number,end_user_number,since,source\n");
  auto csv = to_csv({opt_out("+15559870002", "+15551230001", kNow, "keyword", "STOP"),
                     opt_out("+15559870002", "+447700900123", 0, "operator")});
  CHECK(csv == "business_number,end_user_number,since,source\n"
               "+15559870002,+15551230001,2025-09-14T17:03:14.973Z,keyword\n"
               "+15559870002,+447700900123,1970-01-01T00:00:00.000Z,operator\n");
  // A source another writer gave a separator is quoted, so the file still reads back.
  auto odd = to_csv({opt_out("+15559870002", "+15551230001", kNow, "a,\"b\"")});
  CHECK(odd.find("\"a,\"\"b\"\"\"") != std::string::npos);
}

TEST_CASE("parse_csv reads what to_csv writes") {
  std::vector<store::OptOut> list = {opt_out("+15559870002", "+15551230001", kNow, "keyword"),
                                     opt_out("+15559870002", "+15551230002", kNow - 86400000, "operator"),
                                     opt_out("+442071838750", "+15551230001", 1000, "status-callback")};
  auto back = parsed(to_csv(list));
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back[i].business_number == list[i].business_number);
    CHECK(back[i].end_user_number == list[i].end_user_number);
    CHECK(back[i].since_ms == list[i].since_ms);
    CHECK(back[i].source == list[i].source);
    CHECK(back[i].keyword.empty());
  }
}

TEST_CASE("parse_csv takes what spreadsheets write: CRLF, a BOM, quotes, blank lines, no trailing newline") {
  auto rows = parsed("\xEF\xBB\xBF" "Business_Number, End_User_Number ,since,source\r\n"
                     "\"+15559870002\",\"+15551230001\",\"2025-09-14T17:03:14Z\",\"import-2025\"\r\n"
                     "\r\n"
                     " +15559870002 , +15551230002 ,,\r\n"
                     "+15559870002,+15551230003");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].end_user_number == "+15551230001");
  CHECK(rows[0].since_ms == 1757869394000);
  CHECK(rows[0].source == "import-2025");
  CHECK(rows[1].end_user_number == "+15551230002");
  CHECK(rows[1].since_ms == kNow);     // since empty: now
  CHECK(rows[1].source == "import");   // source empty: the caller's
  CHECK(rows[2].end_user_number == "+15551230003");  // fields absent at the end of a line
  CHECK(rows[2].since_ms == kNow);
  // Only the two numbers, in another order; a time with an offset; classic Mac line ends.
  auto two = parsed("end_user_number,business_number\r+15551230001,+15559870002\r");
  REQUIRE(two.size() == 1);
  CHECK(two[0].business_number == "+15559870002");
  CHECK(two[0].end_user_number == "+15551230001");
  auto offset = parsed("business_number,end_user_number,since\n+15559870002,+15551230001,2025-09-14T19:03:14+02:00\n");
  CHECK(offset.at(0).since_ms == 1757869394000);
  // The header alone is an empty register; so are trailing blank lines.
  CHECK(parsed("business_number,end_user_number,since,source\n\n\n").empty());
  // A quoted field may hold a line break (no field takes one): the record is named by its first line.
  CHECK(error_of("business_number,end_user_number,since,source\n+15559870002,+15551230001,,\"multi\r\nline\"\n")
            .starts_with("line 2: source 'multi??line' is not a word"));
}

TEST_CASE("parse_csv refuses a missing or wrong header") {
  CHECK(error_of("").find("empty") != std::string::npos);
  CHECK(error_of("\xEF\xBB\xBF\r\n\r\n").find("business_number,end_user_number,since,source") != std::string::npos);
  auto data_first = error_of("+15559870002,+15551230001\n");
  CHECK(data_first.starts_with("line 1: "));
  CHECK(data_first.find("the header must be business_number,end_user_number,since,source") != std::string::npos);
  CHECK(error_of("business_number,phone\n").find("unknown column 'phone'") != std::string::npos);
  CHECK(error_of("business_number,since\n").starts_with("line 1: the header must be"));
  CHECK(error_of("business_number,end_user_number,business_number\n").find("twice") != std::string::npos);
}

TEST_CASE("the first bad line fails the whole parse, naming its line") {
  const std::string header = "business_number,end_user_number,since,source\n";
  CHECK(error_of(header + "+15559870002,+15551230001\n+15559870002,12\n") ==
        "line 3: end_user_number '12' is not an E.164 number (+ and up to 15 digits)");
  CHECK(error_of(header + "15559870002,+15551230001\n") ==
        "line 2: business_number '15559870002' is not an E.164 number (+ and up to 15 digits)");
  CHECK(error_of(header + "+15559870002,+1555123000123456\n").starts_with("line 2: end_user_number"));
  CHECK(error_of(header + "+15559870002,+05551230001\n").starts_with("line 2: end_user_number"));
  CHECK(error_of(header + "+15559870002\n") == "line 2: end_user_number is missing");
  CHECK(error_of(header + "\n\n,+15551230001\n") == "line 4: business_number is missing");
  CHECK(error_of(header + "+15559870002,+15551230001,yesterday\n") ==
        "line 2: since 'yesterday' is not an ISO 8601 time like 2025-09-14T17:03:14Z");
  CHECK(error_of(header + "+15559870002,+15551230001,,a b\n").starts_with("line 2: source 'a b' is not a word"));
  CHECK(error_of(header + "+15559870002,+15551230001,,import,extra\n") == "line 2: 5 fields, but the header has 4");
  CHECK(error_of(header + "+15559870002,\"+15551230001\n") ==
        "line 2: a quoted field is not closed (a quote is missing)");
  CHECK(error_of(header + "+15559870002,\"+15551230001\"x\n").starts_with("line 2: text after a closing quote"));
  // Control characters and long values are not echoed as they are.
  auto odd = error_of(header + "+15559870002,+1555\x1b[2J" + std::string(100, '9') + "\n");
  CHECK(odd.find('\x1b') == std::string::npos);
  CHECK(odd.size() < 160);
  // Nor bytes that are not ASCII: the message goes into a JSON answer, which must be UTF-8
  // (a cut character or an invalid byte there would make the answer unserialisable).
  auto cut = error_of(header + "+15559870002,+1" + std::string(37, '5') + "\xc3\xa9\n");
  CHECK(text::valid_utf8(cut));
  CHECK(text::valid_utf8(error_of(header + "+15559870002,+1\xff\n")));
}

TEST_CASE("10,000 lines with one bad one parse to nothing, naming that line") {
  std::string csv = "business_number,end_user_number,since,source\r\n";
  for (int i = 0; i < 10000; ++i)
    csv += "+15559870002,+1555" + std::to_string(1000000 + i) + (i == 7776 ? "x" : "") + ",,\r\n";
  auto message = error_of(csv);
  CHECK(message.starts_with("line 7778: end_user_number '+15551007776x'"));
  csv.replace(csv.find("+15551007776x"), 13, "+15551007776");
  CHECK(parsed(csv).size() == 10000);
}

TEST_CASE("to_json names the fields as the admin API does") {
  auto j = compliance::to_json(opt_out("+15559870002", "+15551230001", kNow, "keyword", "STOP"));
  CHECK(j == nlohmann::json{{"businessNumber", "+15559870002"},
                            {"endUserNumber", "+15551230001"},
                            {"since", "2025-09-14T17:03:14.973Z"},
                            {"source", "keyword"},
                            {"keyword", "STOP"}});
}
