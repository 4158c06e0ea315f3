// The HTTP listener: cpp-httplib behind a pimpl. Every request goes through one funnel that
// reads the body (bounded), assigns a request id, dispatches to the Router, shapes errors as
// JSON and logs one line (method, path, status, duration, request id).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/http_types.h"

namespace sms::server {

struct ListenOptions {
  std::string name = "http";  // for log lines: "webhook", "admin"
  std::string keys;           // the config keys that set host and port, for error messages
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int threads = 8;
  int max_connections = 512;  // served + waiting for a worker; more get 503 and are closed
  int backlog = 1024;
  std::size_t max_body_bytes = 65536;    // 413 above
  std::size_t max_header_bytes = 16384;  // names + values of all headers; 431 above
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds idle_timeout{5000};
  std::string tls_cert, tls_key;  // both set: HTTPS, TLS 1.2 or newer
};

// Fixed limits (documented in docs/security.md, Limits).
inline constexpr std::size_t kMaxHeaderCount = 100;  // 431 above

class HttpServer {
 public:
  HttpServer(ListenOptions options, Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS certificate if any, binds and listens (TCP_NODELAY, SO_REUSEADDR, the
  // configured backlog). Returns the port.
  Result<int> bind();
  // Instead of bind(): serves an inherited listening socket (socket activation). stop() then
  // stops accepting without closing it, so connections that arrive meanwhile wait in the
  // kernel's backlog for the next process. Returns the socket's port; host() is then its address.
  Result<int> adopt(int listening_fd);
  // The address it listens on: the configured host, or the inherited socket's.
  const std::string& host() const;
  // Serves until stop(); returns when in-flight requests have finished.
  void run();
  // Stops accepting; requests already read are answered, and each response after this asks its
  // client to close the connection. Safe from any thread (signal thread included).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sms::server
