// The serve subcommand: its flags, and running the connector (server/server.h).
#include "cli/context.h"
#include "server/server.h"

namespace sms::cli {

void add_serve(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "Run the connector (webhook listener, admin API listener, delivery workers)");
  struct Opts {
    std::string host, admin_host, data_dir;
    int port = -1, admin_port = -1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--host", o->host, "listen address (server.host)");
  cmd->add_option("--port", o->port, "listen port, 0 for any free port (server.port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--admin-host", o->admin_host, "admin API listen address (server.adminHost)");
  cmd->add_option("--admin-port", o->admin_port, "admin API listen port, 0 for any free port (server.adminPort)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--data-dir", o->data_dir, "directory of the outbox database (server.dataDir)");
  cmd->footer(
      "Examples:\n"
      "  ENV=mock_all infinity-sms serve            # mock mode: nothing leaves the machine\n"
      "  infinity-sms serve --host 127.0.0.1 --port 9000 --admin-port 9001\n"
      "Stops cleanly on SIGTERM or SIGINT.");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      nlohmann::json flags = nlohmann::json::object();
      if (!o->host.empty()) flags["server"]["host"] = o->host;
      if (o->port >= 0) flags["server"]["port"] = o->port;
      if (!o->admin_host.empty()) flags["server"]["adminHost"] = o->admin_host;
      if (o->admin_port >= 0) flags["server"]["adminPort"] = o->admin_port;
      if (!o->data_dir.empty()) flags["server"]["dataDir"] = o->data_dir;
      auto loaded = ctx.load(flags);
      if (!loaded) return kExitUsage;
      auto code = server::serve(std::move(*loaded), config::process_env());
      return code ? *code : report(code.error());
    };
  });
}

}  // namespace sms::cli
