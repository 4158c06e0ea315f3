// Opt-out keywords as Twilio defines them for its default opt-out handling.
#include "compliance/keywords.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "core/text.h"

namespace sms::compliance {
namespace {

// The body trimmed of whitespace and uppercased (ASCII: every keyword is ASCII).
std::string normalized(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

template <std::size_t N>
bool one_of(const std::string& word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

constexpr std::array<std::string_view, 8> kStop = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"};
constexpr std::array<std::string_view, 3> kStart = {"START", "YES", "UNSTOP"};
constexpr std::array<std::string_view, 2> kHelp = {"HELP", "INFO"};

}  // namespace

std::string keyword(std::string_view body) { return text::split(normalized(body), 32).front(); }

const char* to_string(OptAction a) {
  switch (a) {
    case OptAction::stop: return "stop";
    case OptAction::start: return "start";
    case OptAction::help: return "help";
    case OptAction::none: break;
  }
  return "none";
}

OptAction opt_action(std::string_view body, std::string_view opt_out_type) {
  auto type = normalized(opt_out_type);
  if (type == "STOP") return OptAction::stop;
  if (type == "START") return OptAction::start;
  if (type == "HELP") return OptAction::help;
  auto word = normalized(body);
  if (one_of(word, kStop)) return OptAction::stop;
  if (one_of(word, kStart)) return OptAction::start;
  if (one_of(word, kHelp)) return OptAction::help;
  return OptAction::none;
}

}  // namespace sms::compliance
