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
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int threads = 8;
  int backlog = 1024;
  std::size_t max_body_bytes = 65536;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{5000};
};

class HttpServer {
 public:
  HttpServer(ListenOptions options, Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (TCP_NODELAY, SO_REUSEADDR, the configured backlog). Returns the port.
  Result<int> bind();
  // Serves until stop(); returns when in-flight requests have finished.
  void run();
  // Stops accepting; safe from any thread (signal thread included).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sms::server
