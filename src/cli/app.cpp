// The command line: the global options, the subcommand tree, config loading and exit codes.
#include "cli/app.h"

#include "cli/context.h"
#include "core/log.h"
#include "core/url.h"

namespace sms::cli {

std::optional<config::Loaded> Context::load(const nlohmann::json& flags) const {
  config::LoadOptions o;
  if (!config_path.empty()) o.config_path = config_path;
  if (!env_file.empty()) o.env_file = env_file;
  o.flags = flags;
  auto loaded = config::load(o, config::process_env());
  if (!loaded) {
    report(loaded.error());
    return std::nullopt;
  }
  return std::move(*loaded);
}

void add_tenant_option(CLI::App* cmd, std::string& tenant) {
  cmd->add_option("--tenant", tenant, "use tenant NAME's accounts (tenants.NAME.*; default: the one serving the number, else the top level)");
}

const config::Config* tenant_config(const config::Config& c, const std::string& flag, std::string_view business_number) {
  if (flag.empty()) {
    const auto* serving = business_number.empty() ? nullptr : c.serving(business_number);
    return serving ? serving : &c;
  }
  if (const auto* t = c.tenant(flag)) return t;
  std::string known;
  for (const auto& name : c.tenant_names()) known += (known.empty() ? "" : ", ") + name;
  report(make_error(ErrorKind::config, "no tenant '" + flag + "' in the configuration (tenants: " + known + ")"));
  return nullptr;
}

int report(const Error& error) {
  fmt::print(stderr, "infinity-sms: {}\n", error.message);
  return error.kind == ErrorKind::config || error.kind == ErrorKind::invalid_input ? kExitUsage : kExitFailure;
}

int post_and_print(const std::string& url, const std::string& body, const std::string& content_type,
                   const http::Headers& headers, const std::string& hint) {
  auto u = parse_url(url);
  if (!u) return report(make_error(ErrorKind::invalid_input, "not an http(s) URL: " + url));
  auto client = http::Client::create(u->origin());
  if (!client) return report(client.error());
  auto target = (u->path.empty() ? "/" : u->path) + (u->query.empty() ? "" : "?" + u->query);
  auto r = (*client)->send({"POST", target, headers, body, content_type});
  if (!r) {
    auto e = r.error();
    if (!hint.empty()) e.message += "; " + hint;
    return report(e);
  }
  fmt::print("HTTP {}\n", r->status);
  if (!r->body.empty()) fmt::print("{}\n", r->body);
  return r->status >= 200 && r->status < 300 ? kExitOk : kExitFailure;
}

namespace {

// The global options, on the app and on every command (each command's --help lists them), so
// that they go before or after the command: `infinity-sms serve --config FILE` as people type it.
void add_global_options(CLI::App& app, Context& ctx, const std::string& group) {
  app.add_option("--config", ctx.config_path, "config file (default $INFINITY_SMS_CONFIG, else "
                                              "$XDG_CONFIG_HOME/infinity-sms/config.json)")
      ->group(group);
  app.add_option("--env-file", ctx.env_file, "dotenv file with the sample's variables (like .env.dev)")->group(group);
  app.add_option("--log-level", ctx.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->group(group);
  app.add_option("--log-format", ctx.log_format, "text (default) or json: one JSON object per line")
      ->check(CLI::IsMember({"text", "json"}))
      ->group(group);
  app.add_flag("--log-unredacted", ctx.log_unredacted,
               "log end users' phone numbers and message text in full (default: last 4 digits, text length)")
      ->group(group);
  for (auto* command : app.get_subcommands({})) add_global_options(*command, ctx, "Global options (also before the command)");
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"infinity-sms: an SMS connector between Twilio and Avaya Infinity Custom Messaging"};
  app.set_version_flag("--version", INFINITY_SMS_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'infinity-sms COMMAND --help' for a command's options; 'man infinity-sms' for everything.");
  Context ctx;
  add_serve(app, ctx);
  add_config(app, ctx);
  add_token(app, ctx);
  add_send_sms(app, ctx);
  add_sign_webhook(app, ctx);
  add_simulate_inbound(app, ctx);
  add_outbox(app, ctx);
  add_optout(app, ctx);
  add_status(app, ctx);
  add_doctor(app, ctx);
  add_global_options(app, ctx, "Options");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  log::setup(ctx.log_level, ctx.log_format, ctx.log_unredacted);
  return ctx.action ? ctx.action() : kExitOk;
}

}  // namespace sms::cli
