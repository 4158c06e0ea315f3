// Outbound HTTP(S) for the provider clients: one keep-alive connection per client, connect/read/
// write timeouts, TLS verified against the system CA bundle, TCP_NODELAY. httplib stays inside.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"

namespace sms::http {

struct Timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds read{15000};
  std::chrono::milliseconds write{15000};
};

// Header names are compared case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  std::string header(const std::string& name) const;  // first value or ""
};

struct Request {
  std::string method = "POST";  // GET, POST, DELETE
  std::string path;             // path + query, starting with '/'
  Headers headers;
  std::string body;
  std::string content_type;     // "" for none
  // GET only, 0 for no limit: an answer whose body is larger fails (ErrorKind::permanent) as
  // soon as the limit is passed, without reading the rest (e.g. a media download).
  std::size_t max_body_bytes = 0;
};

// Milliseconds from a Retry-After header (delta-seconds or HTTP date); nullopt if absent/bad.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value);

class Client {
 public:
  // base_url: "https://host[:port]" or "http://..." (no path). Returns a config error for a URL
  // that does not parse.
  static Result<std::unique_ptr<Client>> create(const std::string& base_url, Timeouts timeouts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. Transport failures are errors (timeout → ErrorKind::timeout, refused /
  // reset / TLS failure → ErrorKind::network, message says which host). Any HTTP status is a
  // Response, including 4xx/5xx: classifying it is the caller's job. Thread-safe (requests on
  // one client are serialised; use several clients for parallelism).
  Result<Response> send(const Request& request);

  const std::string& base_url() const { return base_url_; }

 private:
  Client(std::string base_url, Timeouts timeouts);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string base_url_;
  std::mutex mutex_;
};

}  // namespace sms::http
