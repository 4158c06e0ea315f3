// The opt-out register on the admin API, behind the admin token: GET lists it (JSON or CSV),
// POST adds opt-outs (JSON or CSV, all or none), DELETE removes one.
#include <spdlog/spdlog.h>

#include <cctype>

#include "compliance/optout_csv.h"
#include "core/clock.h"
#include "core/form.h"
#include "core/json_input.h"
#include "core/log.h"
#include "core/phone.h"
#include "server/routes.h"

namespace sms::server {
namespace {

// A store failure: the register could not be read or written (logged); nothing was changed.
Response unavailable(const Error& error) {
  spdlog::error("store: opt-out register: {}", error.message);
  return error_response(503, "store_unavailable", "the opt-out register could not be reached; nothing was changed");
}

// The media type of a Content-Type header, lowercased, without its parameters.
std::string media_type(const Request& r) {
  auto t = r.header("Content-Type");
  t = t.substr(0, t.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

std::string described(const nlohmann::json& v) {
  auto s = v.dump();
  return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}

// One item of a JSON POST: {"businessNumber","endUserNumber"} and optionally "since", "source"
// and "keyword" (what GET answers, so that its output can be posted back).
// `at` names the item in errors: "index 3: " (from 0), or "" for a body of one object.
Result<store::OptOut> opt_out_of(const nlohmann::json& item, const std::string& at, std::int64_t now_ms) {
  if (!item.is_object())
    return fail(ErrorKind::invalid_input, at + "not an object like {\"businessNumber\":\"+15559870002\",\"endUserNumber\":\"+15551230001\"}");
  store::OptOut o{"", "", now_ms, "operator", ""};
  for (const auto& [key, value] : item.items()) {
    if (key == "businessNumber" || key == "endUserNumber") {
      if (!value.is_string() || !is_e164(value.get<std::string>()))
        return fail(ErrorKind::invalid_input, at + key + " " + described(value) + " is not an E.164 number (+ and up to 15 digits)");
      (key == "businessNumber" ? o.business_number : o.end_user_number) = value.get<std::string>();
    } else if (key == "since") {
      auto t = value.is_string() ? parse_iso8601(value.get<std::string>()) : std::nullopt;
      if (!t) return fail(ErrorKind::invalid_input, at + "since " + described(value) + " is not an ISO 8601 time like 2025-09-14T17:03:14Z");
      o.since_ms = unix_ms(*t);
    } else if (key == "source" || key == "keyword") {
      if (!value.is_string() || !compliance::is_word(value.get<std::string>())) return fail(ErrorKind::invalid_input, at + key + " " + described(value) + " is not a word (letters, digits, - _ .; at most 64)");
      if (key == "keyword") o.keyword = value.get<std::string>();
      else if (!value.get<std::string>().empty()) o.source = value.get<std::string>();
    } else {
      return fail(ErrorKind::invalid_input, at + "unknown field '" + key + "' (businessNumber, endUserNumber, since, source, keyword)");
    }
  }
  if (o.business_number.empty() || o.end_user_number.empty())
    return fail(ErrorKind::invalid_input, at + (o.business_number.empty() ? "businessNumber" : "endUserNumber") + " is missing");
  return o;
}

Result<std::vector<store::OptOut>> opt_outs_of_json(const nlohmann::json& j, std::int64_t now_ms) {
  if (!j.is_object() && !j.is_array())
    return fail(ErrorKind::invalid_input, "the body must be an object {\"businessNumber\",\"endUserNumber\"} or an array of them");
  if (j.is_object()) {
    auto o = opt_out_of(j, "", now_ms);
    if (!o) return std::unexpected(o.error());
    return std::vector<store::OptOut>{std::move(*o)};
  }
  std::vector<store::OptOut> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto o = opt_out_of(j[i], "index " + std::to_string(i) + ": ", now_ms);
    if (!o) return std::unexpected(o.error());
    out.push_back(std::move(*o));
  }
  return out;
}

Response list(AppState& state, const Request& request) {
  auto format = request.query_value("format").value_or("");
  if (!format.empty() && format != "json" && format != "csv")
    return error_response(400, "invalid_query", "format is json (default) or csv, not '" + format.substr(0, 20) + "'");
  auto opt_outs = state.store.list_opt_outs();
  if (!opt_outs) return unavailable(opt_outs.error());
  if (format == "csv") {
    Response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = compliance::to_csv(*opt_outs);
    return r;
  }
  auto arr = nlohmann::json::array();
  for (const auto& o : *opt_outs) arr.push_back(compliance::to_json(o));
  return json_response(200, {{"count", opt_outs->size()}, {"optOuts", std::move(arr)}});
}

Response add(AppState& state, const Request& request) {
  auto type = media_type(request);
  const bool csv = type == "text/csv";
  if (!csv && type != "application/json")
    return error_response(415, "unsupported_media_type",
                          "POST /api/optouts takes application/json (an object or an array) or text/csv (an import)");
  auto now = unix_ms_now();
  Result<std::vector<store::OptOut>> opt_outs;
  if (csv) {
    opt_outs = compliance::parse_csv(request.body, now, "import");
  } else {
    auto parsed = parse_untrusted_json(request.body);
    if (!parsed) return error_response(400, "invalid_json", parsed.error().message + "; nothing was stored");
    opt_outs = opt_outs_of_json(*parsed, now);
  }
  if (!opt_outs)
    return error_response(400, csv ? "invalid_csv" : "invalid_opt_out", opt_outs.error().message + "; nothing was stored");
  if (auto r = state.store.add_opt_outs(*opt_outs); !r) {
    if (r.error().kind == ErrorKind::invalid_input)
      return error_response(400, "invalid_opt_out", r.error().message + "; nothing was stored");
    return unavailable(r.error());
  }
  spdlog::info("audit: {} opt-out(s) added from {} (request {})", opt_outs->size(), request.remote_addr, request.request_id);
  return json_response(200, {{"added", opt_outs->size()}});
}

Response remove(AppState& state, const Request& request) {
  auto business = request.query_value("businessNumber").value_or("");
  auto end_user = request.query_value("endUserNumber").value_or("");
  for (auto [name, value] : {std::pair{"businessNumber", &business}, std::pair{"endUserNumber", &end_user}})
    if (!is_e164(*value))
      return error_response(400, "invalid_query",
                            std::string(name) + (value->empty() ? " is missing" : " '" + value->substr(0, 20) + "' is not an E.164 number (+ and up to 15 digits)") +
                                ": DELETE /api/optouts?businessNumber=%2B15559870002&endUserNumber=%2B15551230001");
  auto removed = state.store.remove_opt_out(business, end_user);
  if (!removed) return unavailable(removed.error());
  if (!*removed)
    return error_response(404, "opt_out_not_found", "no opt-out is registered for that business number and end-user number");
  spdlog::info("audit: opt-out of {} from {} removed from {} (request {})", log::phone(end_user), log::phone(business),
               request.remote_addr, request.request_id);
  return json_response(200, {{"removed", true}});
}

}  // namespace

void add_optout_routes(Router& router, AppState& state) {
  router.add("GET", "/api/optouts", with_admin_token(state, [&state](const Request& r) { return list(state, r); }));
  router.add("POST", "/api/optouts", with_admin_token(state, [&state](const Request& r) { return add(state, r); }));
  router.add("DELETE", "/api/optouts", with_admin_token(state, [&state](const Request& r) { return remove(state, r); }));
}

}  // namespace sms::server
