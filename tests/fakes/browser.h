// A headless chromium driven through the DevTools protocol over a pipe
// (--remote-debugging-pipe: commands in on its fd 3, answers out on its fd 4, each a JSON
// message ended by a NUL byte), for the console's browser tests and scripts/screenshots.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fakes/process.h"

namespace fakes {

class Browser {
 public:
  // chromium's path when it is on PATH.
  static std::optional<std::string> find_chromium();

  // Starts chromium headless with a fresh profile and one page of `width` x `height`.
  explicit Browser(const std::string& chromium, int width = 1280, int height = 900);
  ~Browser();  // closes chromium (killed if it does not go)
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // Loads `url` and waits until the document has loaded.
  void open(const std::string& url);
  // The value of a JavaScript expression (a promise is awaited); throws on an exception.
  nlohmann::json eval(const std::string& expression);
  // Whether `condition` (JavaScript) becomes true within `timeout`.
  bool wait_for(const std::string& condition, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Writes a PNG of the page as it shows now.
  void screenshot(const std::string& path);
  // The page's text (document.body.innerText), for test messages.
  std::string text();

 private:
  // Sends `method` (to the page's session unless `browser_level`) and returns its result.
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                      bool browser_level = false);
  nlohmann::json read_message(std::chrono::steady_clock::time_point deadline);

  TempDir profile_;
  int to_chromium_ = -1, from_chromium_ = -1;
  std::unique_ptr<Child> child_;
  std::string session_;
  std::string pending_;  // bytes read past the last whole message
  int next_id_ = 1;
};

}  // namespace fakes
