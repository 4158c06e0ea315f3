#include "core/log.h"

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "core/text.h"

namespace sms::log {
namespace {

thread_local Fields tl_fields;
std::atomic<bool> g_unredacted{false};

std::string timestamp(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(t)), ms);
}

// One line per message: "TIME LEVEL MESSAGE key=value ..." or a JSON object with the same fields.
class Formatter final : public spdlog::formatter {
 public:
  explicit Formatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string message(msg.payload.data(), msg.payload.size());
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line;
    if (json_) {
      nlohmann::ordered_json j = {{"time", timestamp(msg.time)}, {"level", std::string(level.data(), level.size())},
                                  {"msg", message}};
      for (const auto& [k, v] : tl_fields) j[k] = v;
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = timestamp(msg.time) + " " + std::string(level.data(), level.size()) + " " + message;
      for (const auto& [k, v] : tl_fields) line += " " + k + "=" + v;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<Formatter>(json_); }

 private:
  bool json_;
};

}  // namespace

void setup(const std::string& level, const std::string& format, bool unredacted) {
  g_unredacted = unredacted;
  auto logger = spdlog::stderr_color_mt("infinity-sms");
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

std::string text(std::string_view body) {
  if (g_unredacted) return std::string(body);
  return "[" + std::to_string(text::length(body)) + " chars]";
}

}  // namespace sms::log
