#include "fakes/browser.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/crypto.h"

namespace fakes {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kCallTimeout = std::chrono::seconds(20);

}  // namespace

std::optional<std::string> Browser::find_chromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (auto candidate = dir + "/chromium"; !dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  return std::nullopt;
}

Browser::Browser(const std::string& chromium, int width, int height) {
  ::signal(SIGPIPE, SIG_IGN);  // a write to a chromium that died fails instead of killing the tests
  int commands[2], answers[2];
  if (pipe2(commands, O_CLOEXEC) || pipe2(answers, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  child_ = std::make_unique<Child>(
      std::vector<std::string>{"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                               "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                               "--user-data-dir=" + profile_.path(), "about:blank"},
      std::map<std::string, std::string>{}, chromium, std::vector<ListenFd>{}, std::vector<int>{commands[0], answers[1]});
  ::close(commands[0]);
  ::close(answers[1]);
  to_chromium_ = commands[1];
  from_chromium_ = answers[0];
  auto target = call("Target.createTarget", {{"url", "about:blank"}}, true)["targetId"];
  session_ = call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}}, true)["sessionId"];
  call("Page.enable");
  call("Emulation.setDeviceMetricsOverride", {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

Browser::~Browser() {
  try {
    call("Browser.close", nlohmann::json::object(), true);
  } catch (const std::exception&) {
  }
  ::close(to_chromium_);
  ::close(from_chromium_);
  if (child_ && !child_->wait(std::chrono::seconds(5))) child_->signal(SIGKILL);
}

nlohmann::json Browser::read_message(Clock::time_point deadline) {
  while (true) {
    if (auto end = pending_.find('\0'); end != std::string::npos) {
      auto message = nlohmann::json::parse(pending_.substr(0, end));
      pending_.erase(0, end + 1);
      return message;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{from_chromium_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) throw std::runtime_error("chromium did not answer in time");
    char chunk[65536];
    auto n = ::read(from_chromium_, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("chromium closed its DevTools pipe:\n" + child_->output());
    pending_.append(chunk, static_cast<std::size_t>(n));
  }
}

nlohmann::json Browser::call(const std::string& method, const nlohmann::json& params, bool browser_level) {
  int id = next_id_++;
  nlohmann::json command = {{"id", id}, {"method", method}, {"params", params}};
  if (!browser_level) command["sessionId"] = session_;
  auto text = command.dump() + '\0';
  if (::write(to_chromium_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write to chromium's DevTools pipe");
  for (auto deadline = Clock::now() + kCallTimeout;;) {
    auto message = read_message(deadline);  // events (no id) are skipped
    if (message.value("id", 0) != id) continue;
    if (message.contains("error")) throw std::runtime_error(method + ": " + message["error"].dump());
    return message.value("result", nlohmann::json::object());
  }
}

void Browser::open(const std::string& url) {
  call("Page.navigate", {{"url", url}});
  if (!wait_for("document.readyState === 'complete' && location.href !== 'about:blank'"))
    throw std::runtime_error("the page did not load: " + url);
}

nlohmann::json Browser::eval(const std::string& expression) {
  auto result = call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
  if (result.contains("exceptionDetails")) throw std::runtime_error("JavaScript failed: " + result["exceptionDetails"].dump());
  return result["result"].value("value", nlohmann::json());
}

bool Browser::wait_for(const std::string& condition, std::chrono::milliseconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
    try {
      if (eval("Boolean(" + condition + ")") == true) return true;
    } catch (const std::runtime_error&) {  // e.g. evaluated while the page was being replaced: ask again
    }
  }
  return false;
}

std::string Browser::text() { return eval("document.body.innerText").get<std::string>(); }

void Browser::screenshot(const std::string& path) {
  auto png = call("Page.captureScreenshot", {{"format", "png"}})["data"].get<std::string>();
  for (auto& c : png) c = c == '+' ? '-' : c == '/' ? '_' : c;  // the decoder we have reads base64url
  auto bytes = sms::crypto::base64url_decode(png);
  if (bytes.empty()) throw std::runtime_error("chromium's screenshot is not base64");
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace fakes
