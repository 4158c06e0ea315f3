// `serve`: the connector's HTTP service. Opens the store, starts the relay workers, listens,
// and runs until SIGTERM/SIGINT (or stop()), then shuts down gracefully.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/config_file.h"
#include "core/result.h"

namespace sms::server {

// server.dataDir, else $XDG_STATE_HOME/infinity-sms, else $HOME/.local/state/infinity-sms.
std::filesystem::path data_dir(const config::Config& config, const config::Env& env);

// Runs the connector in the foreground until SIGTERM or SIGINT. Prints
// "listening on http://HOST:PORT" to stderr once the socket is bound (tests read the port from
// it when server.port is 0). Returns the process exit code (0 after a clean shutdown). Fatal
// start-up problems (port in use, store not writable) are config/internal errors.
Result<int> serve(config::Loaded loaded, const config::Env& env);

}  // namespace sms::server
