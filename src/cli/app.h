// The command line: builds the CLI11 tree, runs the chosen subcommand, maps failures to exit
// codes (0 success, 1 runtime failure, 2 usage or configuration error).
#pragma once

namespace sms::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int run(int argc, char** argv);

}  // namespace sms::cli
