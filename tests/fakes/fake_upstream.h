// A recording HTTP server on 127.0.0.1 (ephemeral port) that can fail on demand. The fake
// Twilio and fake Infinity servers build on it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace fakes {

struct Recorded {
  std::string method;
  std::string path;    // without the query
  std::string target;  // path + query as requested
  std::multimap<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::chrono::steady_clock::time_point at;  // when the fake finished handling it
  std::string header(const std::string& lowercase_name) const;
};

// What to do instead of the normal answer, for the next `times` requests whose path starts with
// `path_prefix` ("" = any).
struct Failure {
  enum class Kind { status, timeout, drop } kind = Kind::status;
  int status = 503;
  std::string body;                               // for status
  std::string content_type = "application/json";  // for status
  std::map<std::string, std::string> headers;     // for status, e.g. Retry-After
  std::chrono::milliseconds delay{3000};          // for timeout: sleep this long, then answer 504
  int times = 1;
  std::optional<std::chrono::steady_clock::time_point> until;  // instead of times: every request until then (an outage)
  std::string path_prefix;
};

class FakeUpstream {
 public:
  FakeUpstream();
  virtual ~FakeUpstream();  // stops the server
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"

  void inject(Failure f);     // queued; applied in order
  void clear_failures();
  // Every answer from now on waits this long first, like a distant provider.
  void set_latency(std::chrono::milliseconds latency) { latency_ = latency; }

  std::vector<Recorded> requests() const;  // every request received, failed ones included
  std::size_t count(const std::string& path_prefix = "") const;
  // Requests under `path_prefix` that it had handled before `t` (e.g. during an outage).
  std::size_t count_before(const std::string& path_prefix, std::chrono::steady_clock::time_point t) const;
  // Waits until count(path_prefix) >= n or the timeout passes; returns whether it got there.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout,
                const std::string& path_prefix = "") const;

 protected:
  httplib::Server& server() { return *server_; }
  // Subclasses register routes in their constructor, then call start().
  void start();
  // Called by subclasses' handlers first: applies an injected failure, recording the request at
  // once. Returns true when a failure was applied (the handler must then return at once).
  bool maybe_fail(const httplib::Request& req, httplib::Response& res);
  void record(const httplib::Request& req);

  // Records the request when the handler is done with its own bookkeeping, so that count() and
  // wait_for() never run ahead of what the fake's accessors show.
  struct Recording {
    FakeUpstream& upstream;
    const httplib::Request& request;
    ~Recording() { upstream.record(request); }
  };

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Recorded> requests_;
  // count(prefix) so far: of the first `scanned` requests, how many matched. wait_for() polls
  // count() every 5 ms, and scanning every request again held the mutex that record() needs for
  // milliseconds once the benchmark's upstreams had recorded 100,000 requests.
  struct Counted {
    std::size_t scanned = 0, matched = 0;
  };
  mutable std::map<std::string, Counted, std::less<>> counted_;
  std::deque<Failure> failures_;
  bool stopping_ = false;
  std::atomic<std::chrono::milliseconds> latency_{std::chrono::milliseconds(0)};
};

}  // namespace fakes
