#include "cli/context.h"
#include "server/server.h"

namespace sms::cli {

void add_serve(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "Run the connector (webhooks, config API, delivery workers)");
  struct Opts {
    std::string host, data_dir;
    int port = -1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--host", o->host, "listen address (server.host)");
  cmd->add_option("--port", o->port, "listen port, 0 for any free port (server.port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--data-dir", o->data_dir, "directory of the outbox database (server.dataDir)");
  cmd->footer(
      "Examples:\n"
      "  ENV=mock_all infinity-sms serve            # mock mode: nothing leaves the machine\n"
      "  infinity-sms serve --host 127.0.0.1 --port 9000\n"
      "Stops cleanly on SIGTERM or SIGINT.");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      nlohmann::json flags = nlohmann::json::object();
      if (!o->host.empty()) flags["server"]["host"] = o->host;
      if (o->port >= 0) flags["server"]["port"] = o->port;
      if (!o->data_dir.empty()) flags["server"]["dataDir"] = o->data_dir;
      auto loaded = ctx.load(flags);
      if (!loaded) return kExitUsage;
      auto code = server::serve(std::move(*loaded), config::process_env());
      return code ? *code : report(code.error());
    };
  });
}

}  // namespace sms::cli
