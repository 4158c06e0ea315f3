// The command paths of infinity-sms, read from its --help (so that a new subcommand cannot be
// forgotten by the tests that go through every command).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "fakes/process.h"

namespace itest {

// The subcommands a command's --help lists under "Subcommands:".
inline std::vector<std::string> subcommands(std::vector<std::string> args) {
  args.push_back("--help");
  std::istringstream help(fakes::run(args).out);
  std::vector<std::string> out;
  bool listing = false;
  for (std::string line; std::getline(help, line);) {
    if (line.rfind("Subcommands:", 0) == 0) listing = true;
    else if (listing && line.rfind("  ", 0) == 0) out.push_back(line.substr(2, line.find(' ', 2) - 2));
    else if (listing) break;
  }
  return out;
}

// Every command path, read from --help itself (so a new subcommand cannot be forgotten here):
// {}, {"serve"}, {"config", "show"}, ...
inline std::vector<std::vector<std::string>> all_commands() {
  std::vector<std::vector<std::string>> out = {{}};
  for (const auto& top : subcommands({})) {
    auto nested = subcommands({top});
    if (nested.empty()) out.push_back({top});
    for (const auto& sub : nested) out.push_back({top, sub});
  }
  return out;
}

}  // namespace itest
