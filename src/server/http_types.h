// The server's own request/response values and router, so routes never see cpp-httplib.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"

namespace sms::server {

struct Request {
  std::string method;
  std::string target;  // path + '?' + query, exactly as requested
  std::string path;    // target before '?'
  std::string query;   // target after '?', "" when none
  http::Headers headers;
  std::string body;
  std::string remote_addr;
  bool tls = false;
  std::string request_id;  // X-Request-Id as received (if sane) or generated
  std::vector<std::string> path_params;  // the segments a route's {name} segments matched, in order

  std::string header(const std::string& name) const;  // first value or ""
  bool has_header(const std::string& name) const;
  // The query's parameters in order, names and values percent-decoded ('+' stays '+': E.164
  // numbers are written with one); a name without '=' has the value "".
  std::vector<std::pair<std::string, std::string>> query_values() const;
  // A query parameter's first value; nullopt when absent.
  std::optional<std::string> query_value(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Response json_response(int status, const nlohmann::json& body);
// {"error":{"code":code,"message":message}} plus "details" when given.
Response error_response(int status, std::string_view code, std::string_view message,
                        const nlohmann::json& details = nullptr);
// 200 text/xml with the empty TwiML document (Twilio webhooks).
Response twiml_response();

using Handler = std::function<Response(const Request&)>;

// Path routing: a path is exact, or holds {name} segments that match any one non-empty
// segment (given to the handler in Request::path_params); an exact path wins over a pattern.
// An unknown path answers 404, a known path with another method 405 with an Allow header.
class Router {
 public:
  void add(const std::string& method, const std::string& path, Handler handler);
  Response dispatch(const Request& request) const;

 private:
  using Methods = std::map<std::string, Handler>;
  Response dispatch(const Request& request, const Methods& methods) const;

  std::map<std::string, Methods> routes_;                          // exact path → method → handler
  std::vector<std::pair<std::vector<std::string>, Methods>> patterns_;  // segments ("{}" a parameter) → ...
};

}  // namespace sms::server
