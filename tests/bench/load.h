// A closed-loop HTTP load generator over keep-alive connections, at a fixed rate or as fast as
// the server answers, recording each request's latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

struct Request {
  std::string path;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct LoadOptions {
  int port = 0;
  int connections = 32;
  double rate = 0;  // requests per second; 0: as fast as the server answers
  std::chrono::milliseconds duration{5000};
  std::int64_t max_requests = 0;  // 0: no limit besides the duration
};

struct LoadResult {
  std::int64_t sent = 0, ok = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // of the successful requests; at a fixed rate measured from
                                   // the scheduled send time, so queueing delay counts
  // When request i was scheduled (or sent, at full speed), for end-to-end latencies.
  std::vector<std::chrono::steady_clock::time_point> started;
  double per_second() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// Runs `make(i)` for i = 0, 1, ... and POSTs each; a 200 counts as ok.
LoadResult run_load(const LoadOptions& options, const std::function<Request(std::int64_t)>& make);

// The p-th percentile (0..100) of `values` (sorted in place); 0 when empty.
double percentile(std::vector<double>& values, double p);

}  // namespace bench
