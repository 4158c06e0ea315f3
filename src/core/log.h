// Logging set-up (text or JSON lines on stderr), per-thread fields that every line carries
// (request id, message ids), and redaction of end users' numbers and message text.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sms::log {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Installs the process's logger on stderr: `format` "text" or "json", `level` as spdlog names it.
// With `unredacted`, phone() and text() return their input unchanged.
void setup(const std::string& level, const std::string& format, bool unredacted);

// Adds fields to every line this thread logs while the scope lives (nested scopes add to outer
// ones; empty values are left out).
class Scope {
 public:
  explicit Scope(Fields fields);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::size_t added_;
};

// The fields of the current thread, outermost first.
const Fields& current();

// "***0199": an end user's number with only its last 4 characters, unless unredacted.
std::string phone(std::string_view number);
// `text` (a provider's error message, say) with each of `numbers` in it as phone() shows it.
std::string numbers_hidden(std::string text, std::initializer_list<std::string_view> numbers);
// "[23 chars]" instead of a message's text, unless unredacted.
std::string text(std::string_view body);

}  // namespace sms::log
