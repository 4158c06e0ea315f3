// The token subcommand: gets an Infinity access token with the connector's client credentials.
#include "cli/context.h"
#include "core/clock.h"
#include "infinity/token_provider.h"

namespace sms::cli {

void add_token(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("token", "Get an Infinity access token with the connector's client credentials");
  auto json = std::make_shared<bool>(false);
  auto tenant = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "print the token with expires_in, expires_at and the decoded claims");
  add_tenant_option(cmd, *tenant);
  cmd->footer(
      "Examples:\n"
      "  curl -H \"Authorization: Bearer $(infinity-sms token)\" https://core.acme.ec.avayacloud.com/...\n"
      "  infinity-sms token --json | jq .claims\n"
      "  infinity-sms token --tenant acme");
  cmd->callback([&ctx, json, tenant] {
    ctx.action = [&ctx, json, tenant] {
      auto loaded = ctx.load();
      if (!loaded) return kExitUsage;
      const auto* view = tenant_config(loaded->effective, *tenant);
      if (!view) return kExitUsage;
      const auto& c = *view;
      infinity::ClientCredentials creds{c.avaya_base_url(), c.str("avaya.clientId"), c.str("avaya.clientSecret")};
      if (creds.base_url.empty() || creds.client_id.empty() || creds.client_secret.empty())
        return report(make_error(ErrorKind::config, "set " + c.key_name("avaya.host") + ", " + c.key_name("avaya.clientId") + " and " +
                                                        c.key_name("avaya.clientSecret") + " first, e.g. 'infinity-sms config set " +
                                                        c.key_name("avaya.host") + " core.<tenant>.ec.avayacloud.com " +
                                                        c.key_name("avaya.clientId") + " ID " + c.key_name("avaya.clientSecret") + " SECRET'"));
      auto http = http::Client::create(creds.base_url);
      if (!http) return report(http.error());
      auto t = infinity::request_token(**http, creds);
      if (!t) return report(t.error());
      if (!*json) {
        fmt::print("{}\n", t->access_token);
        return kExitOk;
      }
      nlohmann::json out = {{"access_token", t->access_token}, {"token_type", "Bearer"}, {"expires_in", t->expires_in},
                            {"expires_at", iso8601(t->expires_at)}, {"claims", t->claims}};
      fmt::print("{}\n", out.dump(2));
      return kExitOk;
    };
  });
}

}  // namespace sms::cli
