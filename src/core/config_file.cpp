// Config layers: locating the file, dotenv and env overrides, merging, atomic locked writes.
#include "core/config_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace sms::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Error config_error(std::string message) { return Error{ErrorKind::config, std::move(message), 0, {}, {}, {}}; }

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> write_atomically(const fs::path& path, const std::string& content) {
  auto dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  Fd tmp{::mkstemp(tmpl.data())};
  if (tmp.fd < 0) return std::unexpected(config_error("cannot write " + path.string() + ": " + errno_text()));
  bool ok = ::fchmod(tmp.fd, 0600) == 0 &&
            ::write(tmp.fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(tmp.fd) == 0;
  if (!ok || ::rename(tmpl.c_str(), path.c_str()) != 0) {
    auto why = errno_text();
    ::unlink(tmpl.c_str());
    return std::unexpected(config_error("cannot write " + path.string() + ": " + why));
  }
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY)};
  if (d.fd >= 0) ::fsync(d.fd);  // make the rename itself durable
  return {};
}

// Removes keys whose value is an empty string from an env-derived layer: a variable set but
// empty is treated as unset.
const std::map<std::string, std::string>& env_keys() {
  static const auto keys = [] {
    std::map<std::string, std::string> m;
    for (const auto& s : schema())
      if (!s.env.empty()) m[std::string(s.env)] = std::string(s.key);
    return m;
  }();
  return keys;
}

}  // namespace

Env process_env() {
  Env env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

Result<Env> read_dotenv(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::unexpected(config_error("cannot read env file " + file.string() + ": " + errno_text()));
  Env env;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      return std::unexpected(config_error(file.string() + ":" + std::to_string(n) + ": expected KEY=VALUE"));
    auto key = line.substr(0, eq);
    key.erase(key.find_last_not_of(" \t") + 1);
    auto value = line.substr(eq + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      char q = value.front();
      auto close = value.find(q, 1);
      while (q == '"' && close != std::string::npos && value[close - 1] == '\\') close = value.find(q, close + 1);
      if (close == std::string::npos)
        return std::unexpected(config_error(file.string() + ":" + std::to_string(n) + ": unterminated quote"));
      std::string raw = value.substr(1, close - 1), out;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (q == '"' && raw[i] == '\\' && i + 1 < raw.size()) {
          char c = raw[++i];
          out.push_back(c == 'n' ? '\n' : c);
        } else {
          out.push_back(raw[i]);
        }
      }
      value = out;
    } else {
      if (auto hash = value.find(" #"); hash != std::string::npos) value = value.substr(0, hash);
      value.erase(value.find_last_not_of(" \t\r") + 1);
    }
    env[key] = value;
  }
  return env;
}

fs::path locate(const std::optional<fs::path>& flag, const Env& env) {
  if (flag) return *flag;
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  if (auto p = get("INFINITY_SMS_CONFIG"); !p.empty()) return p;
  if (auto x = get("XDG_CONFIG_HOME"); !x.empty()) return fs::path(x) / "infinity-sms/config.json";
  return fs::path(get("HOME")) / ".config/infinity-sms/config.json";
}

Result<json> env_overrides(const Env& env) {
  json layer = json::object();
  for (const auto& [var, key] : env_keys()) {
    auto it = env.find(var);
    if (it == env.end() || it->second.empty()) continue;  // set but empty counts as unset
    auto v = parse_value(key, it->second);
    if (!v) return std::unexpected(config_error("environment variable " + var + ": " + v.error().message));
    set_dotted(layer, key, *v);
  }
  if (auto it = env.find("ENV"); it != env.end()) {
    if (it->second == "mock_all" || it->second == "mock_twilio") set_dotted(layer, "twilio.isMockMode", true);
    if (it->second == "mock_all" || it->second == "mock_avaya") set_dotted(layer, "avaya.isMockMode", true);
  }
  return layer;
}

Result<json> ConfigFile::read() const {
  std::ifstream in(path_);
  if (!in) {
    if (!fs::exists(path_)) return json::object();
    return std::unexpected(config_error("cannot read config file " + path_.string() + ": " + errno_text()));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number too large (1e999)
    return std::unexpected(config_error("config file " + path_.string() + ": invalid JSON: " + e.what()));
  }
  if (auto problems = check_patch(j); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return std::unexpected(config_error("config file " + path_.string() + ": " + all));
  }
  return j;
}

Result<json> ConfigFile::update(const std::function<Result<void>(json&)>& change) const {
  auto dir = path_.parent_path();
  if (!dir.empty() && !fs::exists(dir)) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return std::unexpected(config_error("cannot create " + dir.string() + ": " + ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  auto lock_path = path_.string() + ".lock";
  Fd lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
  if (lock.fd < 0 || ::flock(lock.fd, LOCK_EX) != 0)
    return std::unexpected(config_error("cannot lock " + lock_path + ": " + errno_text()));
  auto layer = read();
  if (!layer) return layer;
  if (auto r = change(*layer); !r) return std::unexpected(r.error());
  if (auto problems = check_patch(*layer); !problems.empty())
    return std::unexpected(config_error(problems.front()));
  if (auto whole = check_whole(combine({*layer, {}, {}, {}})); !whole) return std::unexpected(whole.error());
  if (auto w = write_atomically(path_, layer->dump(2) + "\n"); !w) return std::unexpected(w.error());
  return layer;
}

const char* to_string(Source s) {
  switch (s) {
    case Source::defaults: return "default";
    case Source::file: return "file";
    case Source::env_file: return "env-file";
    case Source::env: return "environment";
    case Source::flag: return "flag";
  }
  return "default";
}

Config combine(const Layers& layers) {
  auto tree = Config().tree();
  for (const auto* layer : {&layers.file, &layers.env_file, &layers.env, &layers.flags})
    if (layer->is_object()) merge_into(tree, *layer);
  return Config(std::move(tree));
}

Result<void> check_whole(const Config& config) {
  auto problems = check_tenants(config);
  if (problems.empty()) return {};
  std::string all;
  for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
  return std::unexpected(Error{ErrorKind::invalid_input, std::move(all), 0, {}, {}, {}});
}

Source source_of(const Layers& layers, std::string_view key) {
  if (get_dotted(layers.flags, key)) return Source::flag;
  if (get_dotted(layers.env, key)) return Source::env;
  if (get_dotted(layers.env_file, key)) return Source::env_file;
  if (get_dotted(layers.file, key)) return Source::file;
  return Source::defaults;
}

std::string origin_of(const Layers& layers, std::string_view key) {
  auto src = source_of(layers, key);
  std::string origin = to_string(src);
  if (const auto* spec = find_key(key); (src == Source::env || src == Source::env_file) && spec && !spec->env.empty())
    origin += " " + std::string(spec->env);
  return origin;
}

std::vector<std::string> all_keys(const Config& c) {
  std::vector<std::string> out;
  for (const auto& spec : schema()) out.emplace_back(spec.key);
  for (const auto& name : c.tenant_names())
    if (name != kDefaultTenant)
      for (const auto& spec : tenant_schema()) out.push_back("tenants." + name + "." + std::string(spec.key));
  return out;
}

Result<Loaded> load(const LoadOptions& options, const Env& env) {
  ConfigFile file(locate(options.config_path, env));
  Layers layers;
  auto from_file = file.read();
  if (!from_file) return std::unexpected(from_file.error());
  layers.file = *from_file;
  layers.env_file = json::object();
  if (options.env_file) {
    auto l = read_env_file(*options.env_file);
    if (!l) return std::unexpected(l.error());
    layers.env_file = *l;
  }
  auto from_env = env_overrides(env);
  if (!from_env) return std::unexpected(from_env.error());
  layers.env = *from_env;
  layers.flags = options.flags;
  if (auto problems = check_patch(layers.flags); !problems.empty())
    return std::unexpected(config_error(problems.front()));
  auto effective = combine(layers);
  return Loaded{std::move(file), std::move(layers), std::move(effective), options.env_file};
}

Result<nlohmann::json> read_env_file(const std::filesystem::path& file) {
  auto dotenv = read_dotenv(file);
  if (!dotenv) return std::unexpected(dotenv.error());
  auto l = env_overrides(*dotenv);
  if (!l) return std::unexpected(Error{ErrorKind::config, file.string() + ": " + l.error().message, 0, {}, {}, {}});
  return *l;
}

}  // namespace sms::config
