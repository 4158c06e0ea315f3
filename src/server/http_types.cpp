// The server's request and response helpers (JSON errors, empty TwiML) and its router.
#include "server/http_types.h"

#include "twilio/webhook.h"

namespace sms::server {

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Request::has_header(const std::string& name) const { return headers.count(name) > 0; }

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message,
                        const nlohmann::json& details) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  return json_response(status, {{"error", error}});
}

Response twiml_response() {
  Response r;
  r.content_type = "text/xml";
  r.body = std::string(twilio::kEmptyTwiml);
  return r;
}

void Router::add(const std::string& method, const std::string& path, Handler handler) {
  routes_[path][method] = std::move(handler);
}

Response Router::dispatch(const Request& request) const {
  auto by_path = routes_.find(request.path);
  if (by_path == routes_.end())
    return error_response(404, "not_found", "no such endpoint: " + request.path);
  auto by_method = by_path->second.find(request.method);
  if (by_method == by_path->second.end()) {
    std::string allow;
    for (const auto& [method, _] : by_path->second) allow += (allow.empty() ? "" : ", ") + method;
    auto r = error_response(405, "method_not_allowed",
                            request.method + " is not allowed on " + request.path + "; use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  return by_method->second(request);
}

}  // namespace sms::server
