#include "load.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <thread>

namespace bench {

LoadResult run_load(const LoadOptions& o, const std::function<Request(std::int64_t)>& make) {
  using clock = std::chrono::steady_clock;
  LoadResult result;
  const std::int64_t capacity = o.max_requests > 0 ? o.max_requests
                                : o.rate > 0 ? static_cast<std::int64_t>(o.rate * static_cast<double>(o.duration.count()) / 1000.0) + 1
                                             : 2'000'000;
  result.started.resize(static_cast<std::size_t>(capacity));
  std::atomic<std::int64_t> next{0}, ok{0}, failed{0};
  std::mutex merge;
  // Each connection is opened (one GET /api/health) before the first request is due, so that
  // neither connecting nor starting the threads counts as the server's ack latency.
  std::latch connected(o.connections), go(1);
  clock::time_point t0, deadline;
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c)
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", o.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      client.Get("/api/health");
      connected.count_down();
      go.wait();
      std::vector<double> mine;
      for (;;) {
        auto i = next++;
        if (i >= capacity) break;
        auto scheduled = o.rate > 0 ? t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                               static_cast<double>(i) * 1e9 / o.rate))
                                    : clock::now();
        if (scheduled >= deadline || (o.rate <= 0 && clock::now() >= deadline)) break;
        auto req = make(i);  // signed before it is due: the signing is the client's time, not the server's
        httplib::Headers headers(req.headers.begin(), req.headers.end());
        std::this_thread::sleep_until(scheduled);
        result.started[static_cast<std::size_t>(i)] = scheduled;
        auto r = client.Post(req.path.c_str(), headers, req.body, req.content_type.c_str());
        if (r && r->status == 200) {
          ++ok;
          mine.push_back(std::chrono::duration<double, std::milli>(clock::now() - scheduled).count());
        } else {
          ++failed;
        }
      }
      std::lock_guard lock(merge);
      result.latency_ms.insert(result.latency_ms.end(), mine.begin(), mine.end());
    });
  connected.wait();
  t0 = clock::now();
  deadline = t0 + o.duration;
  go.count_down();
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(std::min(clock::now(), deadline) - t0).count();
  result.sent = std::min(next.load(), capacity);
  result.ok = ok;
  result.failed = failed;
  return result;
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto at = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
  return values[at];
}

}  // namespace bench
