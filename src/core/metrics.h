// Counters, histograms and scrape-time gauges in the Prometheus text exposition format (0.0.4).
// One process-wide registry (metrics::registry()); series are created on first use and live as
// long as the process. Updating a counter or histogram is lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sms::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Latency histogram in seconds with fixed buckets from 0.5 ms to 60 s.
class Histogram {
 public:
  static constexpr std::array<double, 16> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,   0.5,   1,      2.5,   5,    10,    30,    60};
  void observe(double seconds);
  std::int64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Cumulative count of observations <= kBounds[i].
  std::int64_t cumulative(std::size_t i) const;
  double sum() const { return static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6; }

 private:
  std::array<std::atomic<std::int64_t>, kBounds.size()> buckets_{};
  std::atomic<std::int64_t> count_{0}, sum_us_{0};
};

// Values read when scraped (queue depths, ages): one sample per label set.
using GaugeReader = std::function<std::vector<std::pair<Labels, double>>()>;

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {});
  void gauge(const std::string& name, const std::string& help, GaugeReader read);
  // Removes every scrape-time gauge (their readers refer to objects that are going away).
  void clear_gauges();
  std::string render() const;

 private:
  struct Family {
    std::string type, help;
    std::map<std::string, std::unique_ptr<Counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // by rendered labels
    GaugeReader gauge;
  };
  Family& family(const std::string& name, const std::string& type, const std::string& help);

  mutable std::mutex mutex_;
  // Held while the gauges are read (not mutex_: see render), so that clear_gauges waits for them.
  mutable std::mutex gauges_mutex_;
  std::map<std::string, Family> families_;
};

Registry& registry();

// {a="x",b="y"} with Prometheus escaping; "" for no labels.
std::string render_labels(const Labels& labels);

}  // namespace sms::metrics
