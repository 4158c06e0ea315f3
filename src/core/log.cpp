// The logger: text or JSON lines on stderr, per-thread fields and redaction of numbers and text.
#include "core/log.h"

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "core/text.h"

namespace sms::log {
namespace {

thread_local Fields tl_fields;
std::atomic<bool> g_unredacted{false};

// "2026-11-30T06:20:44.612Z". The part up to the seconds is formatted once per second per thread.
void append_timestamp(std::chrono::system_clock::time_point t, spdlog::memory_buf_t& dest) {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  auto since = t.time_since_epoch();
  auto second = std::chrono::system_clock::to_time_t(t);
  if (second != cached_second) {
    cached = fmt::format("{:%Y-%m-%dT%H:%M:%S}", fmt::gmtime(second));
    cached_second = second;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000;
  fmt::format_to(std::back_inserter(dest), "{}.{:03d}Z", cached, ms);
}

// One line per message: "TIME LEVEL MESSAGE key=value ..." or a JSON object with the same fields.
class Formatter final : public spdlog::formatter {
 public:
  explicit Formatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view message(msg.payload.data(), msg.payload.size());
    auto level = spdlog::level::to_string_view(msg.level);
    if (json_) {
      spdlog::memory_buf_t time;
      append_timestamp(msg.time, time);
      nlohmann::ordered_json j = {{"time", fmt::to_string(time)}, {"level", std::string(level.data(), level.size())},
                                  {"msg", message}};
      for (const auto& [k, v] : tl_fields) j[k] = v;
      auto line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      dest.append(line.data(), line.data() + line.size());
    } else {
      append_timestamp(msg.time, dest);
      fmt::format_to(std::back_inserter(dest), " {} {}", std::string_view(level.data(), level.size()), message);
      for (const auto& [k, v] : tl_fields) fmt::format_to(std::back_inserter(dest), " {}={}", k, v);
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<Formatter>(json_); }

 private:
  bool json_;
};

// Standard error, one write(2) per line, formatted before the lock that keeps lines whole:
// spdlog's console sinks format, fwrite and fflush under one process-wide mutex, which the
// threads serving webhooks queued for (every webhook and delivery logs a line).
class StderrSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    thread_local spdlog::memory_buf_t line;
    line.clear();
    formatter_->format(msg, line);
    std::lock_guard lock(mutex_);
    for (std::size_t at = 0; at < line.size();) {
      auto n = ::write(STDERR_FILENO, line.data() + at, line.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere to report it
      at += static_cast<std::size_t>(n);
    }
  }
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override { formatter_ = std::move(formatter); }

 private:
  std::unique_ptr<spdlog::formatter> formatter_;
  std::mutex mutex_;
};

}  // namespace

void setup(const std::string& level, const std::string& format, bool unredacted) {
  g_unredacted = unredacted;
  auto logger = std::make_shared<spdlog::logger>("infinity-sms", std::make_shared<StderrSink>());
  logger->set_formatter(std::make_unique<Formatter>(format == "json"));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

Scope::Scope(Fields fields) : added_(0) {
  for (auto& f : fields)
    if (!f.second.empty()) {
      tl_fields.push_back(std::move(f));
      ++added_;
    }
}

Scope::~Scope() { tl_fields.resize(tl_fields.size() - added_); }

const Fields& current() { return tl_fields; }

std::string phone(std::string_view number) {
  if (g_unredacted || number.size() <= 4) return std::string(number);
  return "***" + std::string(number.substr(number.size() - 4));
}

std::string numbers_hidden(std::string text, std::initializer_list<std::string_view> numbers) {
  for (auto number : numbers) {
    auto shown = phone(number);
    if (shown == number) continue;  // nothing to hide (unredacted, or too short)
    for (auto at = text.find(number); at != std::string::npos; at = text.find(number, at + shown.size()))
      text.replace(at, number.size(), shown);
  }
  return text;
}

std::string text(std::string_view body) {
  if (g_unredacted) return std::string(body);
  return "[" + std::to_string(text::length(body)) + " chars]";
}

}  // namespace sms::log
