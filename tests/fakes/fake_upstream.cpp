#include "fakes/fake_upstream.h"

#include <httplib.h>

#include <cctype>
#include <optional>

namespace fakes {

std::string Recorded::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

FakeUpstream::FakeUpstream() : server_(std::make_unique<httplib::Server>()) {}

FakeUpstream::~FakeUpstream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeUpstream::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeUpstream::start() {
  // Enough threads that keep-alive connections never queue a request past the client's timeout
  // (which would turn a test's timeout into a real duplicate): each connection holds a thread
  // while it is open, and a serve with 50 tenants keeps a few open per tenant, as it would to
  // a real provider, which has no such limit.
  server_->new_task_queue = [] { return new httplib::ThreadPool(256); };
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(1000);  // like the real APIs, not cpp-httplib's 5
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FakeUpstream::inject(Failure f) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(f));
}

void FakeUpstream::clear_failures() {
  std::lock_guard lock(mutex_);
  failures_.clear();
}

std::vector<Recorded> FakeUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeUpstream::count(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  auto& c = counted_[prefix];
  for (; c.scanned < requests_.size(); ++c.scanned) c.matched += requests_[c.scanned].path.rfind(prefix, 0) == 0;
  return c.matched;
}

std::size_t FakeUpstream::count_before(const std::string& prefix, std::chrono::steady_clock::time_point t) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& r : requests_) n += r.path.rfind(prefix, 0) == 0 && r.at < t;
  return n;
}

bool FakeUpstream::wait_for(std::size_t n, std::chrono::milliseconds timeout, const std::string& prefix) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (count(prefix) < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void FakeUpstream::record(const httplib::Request& req) {
  Recorded r{req.method, req.path, req.target.empty() ? req.path : req.target, {}, req.body,
             std::chrono::steady_clock::now()};
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(lower, v);
  }
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(r));
}

bool FakeUpstream::maybe_fail(const httplib::Request& req, httplib::Response& res) {
  std::optional<Failure> failure;
  {
    std::unique_lock lock(mutex_);
    if (auto latency = latency_.load(); latency.count() > 0) changed_.wait_for(lock, latency, [this] { return stopping_; });
    for (auto it = failures_.begin(); it != failures_.end();) {
      if (req.path.rfind(it->path_prefix, 0) != 0) {
        ++it;
        continue;
      }
      if (it->until && std::chrono::steady_clock::now() >= *it->until) {
        it = failures_.erase(it);  // the outage is over: the next failure queued, if any, applies
        continue;
      }
      failure = *it;
      if (!it->until && --it->times <= 0) failures_.erase(it);
      break;
    }
  }
  if (!failure) return false;
  record(req);
  switch (failure->kind) {
    case Failure::Kind::status:
      res.status = failure->status;
      for (const auto& [k, v] : failure->headers) res.set_header(k, v);
      res.set_content(failure->body, failure->content_type);
      break;
    case Failure::Kind::timeout: {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, failure->delay, [this] { return stopping_; });
      res.status = 504;
      break;
    }
    case Failure::Kind::drop:
      // Headers go out, then the body provider fails: the client sees the connection drop.
      res.set_content_provider(100, "application/json",
                               [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      break;
  }
  return true;
}

}  // namespace fakes
