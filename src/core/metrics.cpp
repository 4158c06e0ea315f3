// The Prometheus metrics registry: counters, histograms, gauges and the text exposition.
#include "core/metrics.h"

#include <fmt/format.h>

#include <cmath>

namespace sms::metrics {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// `labels` rendered plus one more label (for histogram buckets).
std::string with_label(const std::string& rendered, const std::string& name, const std::string& value) {
  auto extra = name + "=\"" + value + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::int64_t>(std::llround(seconds * 1e6)), std::memory_order_relaxed);
}

std::int64_t Histogram::cumulative(std::size_t i) const {
  std::int64_t n = 0;
  for (std::size_t j = 0; j <= i && j < kBounds.size(); ++j) n += buckets_[j].load(std::memory_order_relaxed);
  return n;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i)
    out += (i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  return out + "}";
}

Registry::Family& Registry::family(const std::string& name, const std::string& type, const std::string& help) {
  auto& f = families_[name];
  if (f.type.empty()) f.type = type, f.help = help;
  return f;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, "counter", help).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, "histogram", help).histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<Histogram>();
  return *slot;
}

void Registry::gauge(const std::string& name, const std::string& help, GaugeReader read) {
  std::lock_guard lock(mutex_);
  family(name, "gauge", help).gauge = std::move(read);
}

void Registry::clear_gauges() {
  std::lock_guard reading(gauges_mutex_);
  std::lock_guard lock(mutex_);
  std::erase_if(families_, [](const auto& kv) { return kv.second.type == "gauge"; });
}

std::string Registry::render() const {
  std::lock_guard reading(gauges_mutex_);
  // The gauges are read without mutex_: they may take a while (the outbox's counts scan its
  // table), and every webhook's counter and histogram are looked up under mutex_.
  struct Part {
    std::string name, text;  // text: the family's header, counters and histograms
    GaugeReader gauge;
  };
  std::vector<Part> parts;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
      auto& p = parts.emplace_back(Part{name, "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n", f.gauge});
      for (const auto& [labels, c] : f.counters) p.text += name + labels + " " + std::to_string(c->value()) + "\n";
      for (const auto& [labels, h] : f.histograms) {
        for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i)
          p.text += name + "_bucket" + with_label(labels, "le", number(Histogram::kBounds[i])) + " " +
                    std::to_string(h->cumulative(i)) + "\n";
        p.text += name + "_bucket" + with_label(labels, "le", "+Inf") + " " + std::to_string(h->count()) + "\n";
        p.text += name + "_sum" + labels + " " + number(h->sum()) + "\n";
        p.text += name + "_count" + labels + " " + std::to_string(h->count()) + "\n";
      }
    }
  }
  std::string out;
  for (const auto& p : parts) {
    out += p.text;
    if (p.gauge)
      for (const auto& [labels, v] : p.gauge()) out += p.name + render_labels(labels) + " " + number(v) + "\n";
  }
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace sms::metrics
