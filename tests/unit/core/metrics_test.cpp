#include <catch2/catch.hpp>
#include <future>
#include <latch>

#include "core/metrics.h"

using namespace sms::metrics;

TEST_CASE("the registry renders the Prometheus text format") {
  Registry r;
  r.counter("x_total", "things", {{"route", "a"}, {"status", "200"}}).inc(3);
  r.counter("x_total", "things", {{"route", "a"}, {"status", "200"}}).inc();  // the same series
  r.counter("x_total", "things", {{"route", "b\"q\\"}, {"status", "403"}}).inc();
  auto& h = r.histogram("lat_seconds", "latency");
  h.observe(0.0004);
  h.observe(0.003);
  h.observe(100);  // above every bound: only in +Inf
  r.gauge("depth", "queue", [] { return std::vector<std::pair<Labels, double>>{{{{"state", "queued"}}, 7}}; });
  auto text = r.render();
  CHECK(text.find("# HELP x_total things\n# TYPE x_total counter\n") != std::string::npos);
  CHECK(text.find("x_total{route=\"a\",status=\"200\"} 4\n") != std::string::npos);
  CHECK(text.find("x_total{route=\"b\\\"q\\\\\",status=\"403\"} 1\n") != std::string::npos);
  CHECK(text.find("# TYPE lat_seconds histogram\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{le=\"0.005\"} 2\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{le=\"60\"} 2\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("lat_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("lat_seconds_sum 100.0034\n") != std::string::npos);
  CHECK(text.find("depth{state=\"queued\"} 7\n") != std::string::npos);
  r.clear_gauges();
  CHECK(r.render().find("depth") == std::string::npos);
}

TEST_CASE("a slow gauge holds up neither counters nor histograms, and clearing the gauges waits for it") {
  Registry r;
  std::latch reading(1), finish(1);
  r.gauge("depth", "queue", [&] {  // like the outbox's counts, a scan of its table
    reading.count_down();
    finish.wait();
    return std::vector<std::pair<Labels, double>>{{{}, 1}};
  });
  auto rendered = std::async(std::launch::async, [&] { return r.render(); });
  reading.wait();
  auto counted = std::async(std::launch::async, [&] {
    r.counter("x_total", "things", {{"route", "a"}}).inc();
    r.histogram("lat_seconds", "latency").observe(0.001);
  });
  bool waited = counted.wait_for(std::chrono::seconds(2)) == std::future_status::timeout;
  auto cleared = std::async(std::launch::async, [&] { r.clear_gauges(); });
  CHECK(cleared.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  finish.count_down();
  CHECK_FALSE(waited);
  CHECK(rendered.get().find("depth 1\n") != std::string::npos);
  counted.get();
  cleared.get();
  CHECK(r.render().find("x_total{route=\"a\"} 1\n") != std::string::npos);
}
