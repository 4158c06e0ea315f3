// The server's request and response helpers (JSON errors, empty TwiML) and its router.
#include "server/http_types.h"

#include <algorithm>

#include "core/form.h"
#include "twilio/webhook.h"

namespace sms::server {

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Request::has_header(const std::string& name) const { return headers.count(name) > 0; }

std::vector<std::pair<std::string, std::string>> Request::query_values() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view q = query;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto piece = q.substr(0, amp);
    auto eq = piece.find('=');
    out.emplace_back(form::url_decode(piece.substr(0, eq), false),
                     eq == std::string_view::npos ? "" : form::url_decode(piece.substr(eq + 1), false));
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return out;
}

std::optional<std::string> Request::query_value(std::string_view name) const {
  for (auto& [n, v] : query_values())
    if (n == name) return std::move(v);
  return std::nullopt;
}

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

namespace {

// "/api/messages/7/retry" → {"api", "messages", "7", "retry"}; an empty segment is kept.
std::vector<std::string> segments_of(std::string_view path) {
  std::vector<std::string> out;
  for (std::size_t at = path.starts_with('/') ? 1 : 0; at <= path.size();) {
    auto slash = std::min(path.find('/', at), path.size());
    out.emplace_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

bool is_parameter(const std::string& segment) { return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}'; }

}  // namespace

void Router::add(const std::string& method, const std::string& path, Handler handler) {
  if (path.find('{') == std::string::npos) {
    routes_[path][method] = std::move(handler);
    return;
  }
  auto segments = segments_of(path);
  for (auto& s : segments)
    if (is_parameter(s)) s = "{}";
  for (auto& [pattern, methods] : patterns_)
    if (pattern == segments) {
      methods[method] = std::move(handler);
      return;
    }
  patterns_.emplace_back(std::move(segments), Methods{{method, std::move(handler)}});
}

Response Router::dispatch(const Request& request) const {
  if (auto by_path = routes_.find(request.path); by_path != routes_.end()) return dispatch(request, by_path->second);
  if (!patterns_.empty()) {
    auto segments = segments_of(request.path);
    for (const auto& [pattern, methods] : patterns_) {
      if (pattern.size() != segments.size()) continue;
      std::vector<std::string> params;
      bool match = true;
      for (std::size_t i = 0; match && i < pattern.size(); ++i) {
        if (pattern[i] != "{}") match = pattern[i] == segments[i];
        else if ((match = !segments[i].empty())) params.push_back(segments[i]);
      }
      if (!match) continue;
      auto with_params = request;
      with_params.path_params = std::move(params);
      return dispatch(with_params, methods);
    }
  }
  return error_response(404, "not_found", "no such endpoint: " + request.path);
}

Response Router::dispatch(const Request& request, const Methods& methods) const {
  auto by_method = methods.find(request.method);
  if (by_method == methods.end()) {
    std::string allow;
    for (const auto& [method, _] : methods) allow += (allow.empty() ? "" : ", ") + method;
    auto r = error_response(405, "method_not_allowed",
                            request.method + " is not allowed on " + request.path + "; use " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  return by_method->second(request);
}

}  // namespace sms::server
