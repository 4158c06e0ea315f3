// The config subcommand: config show (values and where they come from) and config set.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "cli/context.h"

namespace sms::cli {
namespace {

int show(const config::Loaded& loaded, bool json, bool reveal) {
  const auto& c = loaded.effective;
  if (json) {
    fmt::print("{}\n", (reveal ? c.revealed() : c.masked()).dump(2));
    return kExitOk;
  }
  auto tree = reveal ? c.revealed() : c.masked();
  for (const auto& key : config::all_keys(c))
    fmt::print("{} = {}  # {}\n", key, config::get_dotted(tree, key)->dump(), config::origin_of(loaded.layers, key));
  fmt::print("# file: {}\n", loaded.file.path().string());
  return kExitOk;
}

int set(const config::Loaded& loaded, const std::vector<std::string>& args) {
  if (args.size() % 2 != 0) {
    fmt::print(stderr, "infinity-sms: config set takes KEY VALUE pairs; '{}' has no value\n", args.back());
    return kExitUsage;
  }
  nlohmann::json patch = nlohmann::json::object();
  for (std::size_t i = 0; i < args.size(); i += 2) {
    auto v = config::parse_value(args[i], args[i + 1]);
    if (!v) return report(v.error());
    config::set_dotted(patch, args[i], *v);
  }
  std::vector<std::string> changed;
  auto written = loaded.file.update([&](nlohmann::json& layer) -> Result<void> {
    // A map of numbers to rates is set whole, like a list: the numbers not given go.
    for (std::size_t i = 0; i < args.size(); i += 2)
      if (config::find_key(args[i])->type == config::Type::rates) config::set_dotted(layer, args[i], nlohmann::json::object());
    changed = config::merge_into(layer, patch);
    return {};
  });
  if (!written) {
    auto e = written.error();
    bool tenant_keys = std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.starts_with("tenants."); });
    if (tenant_keys && e.kind == ErrorKind::invalid_input)  // the whole configuration's check: a tenant half set up
      e.message += "; a new tenant's numbers and credentials go in one 'config set' (see 'infinity-sms config set --help')";
    return report(e);
  }
  // The same audit line as the config API's: who, which keys, never values.
  std::string keys;
  for (const auto& k : changed) keys += (keys.empty() ? "" : ", ") + k;
  spdlog::info("audit: configuration changed by config set (uid {}) in {}: {}", ::getuid(), loaded.file.path().string(),
               keys.empty() ? "nothing" : keys);
  for (std::size_t i = 0; i < args.size(); i += 2)
    if (auto src = config::source_of(loaded.layers, args[i]); src != config::Source::file && src != config::Source::defaults)
      fmt::print(stderr, "infinity-sms: {} is saved in {} but overridden by the {}\n", args[i],
                 loaded.file.path().string(), config::to_string(src));
  return kExitOk;
}

}  // namespace

void add_config(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("config", "Show or change the configuration file");
  cmd->require_subcommand(1);
  auto* show_cmd = cmd->add_subcommand("show", "Print the effective configuration and where each value comes from");
  auto json = std::make_shared<bool>(false), reveal = std::make_shared<bool>(false);
  show_cmd->add_flag("--json", *json, "print the configuration as JSON (the sample's shape)");
  show_cmd->add_flag("--reveal", *reveal, "print secrets unmasked");
  show_cmd->footer("Examples:\n  infinity-sms config show\n  infinity-sms config show --json --reveal | jq .server.adminToken");
  show_cmd->callback([&ctx, json, reveal] {
    ctx.action = [&ctx, json, reveal] {
      auto loaded = ctx.load();
      return loaded ? show(*loaded, *json, *reveal) : kExitUsage;
    };
  });

  auto* set_cmd = cmd->add_subcommand("set", "Set one or more keys in the configuration file (atomically, mode 0600)");
  auto args = std::make_shared<std::vector<std::string>>();
  set_cmd->add_option("KEY VALUE", *args, "dotted key and its value, repeated")->required()->expected(2, -1);
  set_cmd->footer(
      "Examples:\n"
      "  infinity-sms config set avaya.host core.acme.ec.avayacloud.com\n"
      "  infinity-sms config set twilio.isMockMode true server.port 9000\n"
      "  infinity-sms config set tenants.acme.numbers +14155550300 tenants.acme.twilio.account.sid AC... \\\n"
      "    tenants.acme.twilio.account.authToken ... tenants.acme.avaya.isMockMode true tenants.acme.avaya.connectorId acme\n"
      "  infinity-sms config set relay.pacing.numbers +14155550100=10,+14155550101=0.5");
  set_cmd->callback([&ctx, args] {
    ctx.action = [&ctx, args] {
      auto loaded = ctx.load();
      return loaded ? set(*loaded, *args) : kExitUsage;
    };
  });
}

}  // namespace sms::cli
