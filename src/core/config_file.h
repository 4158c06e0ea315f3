// Where the config file lives, how layers combine (defaults < file < env-file < env < flags),
// and atomic, locked writes (temp file, fsync, rename, mode 0600).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"

namespace sms::config {

using Env = std::map<std::string, std::string>;

// The process environment as a map.
Env process_env();

// Reads a dotenv file: KEY=VALUE lines, '#' comments, optional "export ", single or double
// quotes (double quotes understand \n \" \\). Errors name the file and line.
Result<Env> read_dotenv(const std::filesystem::path& file);

// --config FILE, else $INFINITY_SMS_CONFIG, else $XDG_CONFIG_HOME/infinity-sms/config.json,
// else $HOME/.config/infinity-sms/config.json.
std::filesystem::path locate(const std::optional<std::filesystem::path>& flag, const Env& env);

// The environment's overrides as a partial JSON tree (TWILIO_ACCOUNT_SID → twilio.account.sid,
// PORT → server.port, ENV=mock_all|mock_twilio|mock_avaya → isMockMode flags, ...). Values that
// do not parse are errors naming the variable.
Result<nlohmann::json> env_overrides(const Env& env);

class ConfigFile {
 public:
  explicit ConfigFile(std::filesystem::path path) : path_(std::move(path)) {}
  const std::filesystem::path& path() const { return path_; }

  // The file's own layer (partial tree). A missing file is {}. A malformed file or one that
  // fails check_patch is a config error naming the file.
  Result<nlohmann::json> read() const;

  // Under an exclusive lock (flock on "<path>.lock"): reads the file layer, lets `change` edit it,
  // validates the result, and writes it atomically with mode 0600 (parent directory created
  // 0700 if missing). Returns the new file layer. Safe against concurrent writers in other
  // processes and threads.
  Result<nlohmann::json> update(const std::function<Result<void>(nlohmann::json&)>& change) const;

 private:
  std::filesystem::path path_;
};

// Where each effective value came from, for `config show` and warnings.
enum class Source { defaults, file, env_file, env, flag };
const char* to_string(Source s);

struct Layers {
  nlohmann::json file;      // the file's layer
  nlohmann::json env_file;  // from --env-file (dotenv), same variable names as env
  nlohmann::json env;       // from the process environment
  nlohmann::json flags;     // from command-line flags (e.g. serve --port)
};

// defaults < file < env_file < env < flags.
Config combine(const Layers& layers);
// check_tenants(config) as one invalid_input error naming every problem; ok when there is none. Run
// where a configuration is put in force (serve's start, SIGHUP, POST /api/configs, config set).
Result<void> check_whole(const Config& config);
// Which layer set the key's effective value.
Source source_of(const Layers& layers, std::string_view key);
// The same as `config show` and GET /api/configs say it: "default", "file", "flag", or
// "environment NAME" / "env-file NAME" with the variable's name.
std::string origin_of(const Layers& layers, std::string_view key);
// Every key of `c`, dotted: the schema's, then each named tenant's.
std::vector<std::string> all_keys(const Config& c);

// Everything a subcommand needs: the file, the layers, and the effective config.
struct Loaded {
  ConfigFile file;
  Layers layers;
  Config effective;
  std::optional<std::filesystem::path> env_file;  // --env-file, read again on reload
};

struct LoadOptions {
  std::optional<std::filesystem::path> config_path;  // --config
  std::optional<std::filesystem::path> env_file;     // --env-file
  nlohmann::json flags = nlohmann::json::object();   // command-line overrides (partial tree)
};
Result<Loaded> load(const LoadOptions& options, const Env& env);

// The layer of a --env-file (dotenv, the environment's variable names). Errors name the file.
Result<nlohmann::json> read_env_file(const std::filesystem::path& file);

}  // namespace sms::config
