#include <catch2/catch.hpp>

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
