#include "server/server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "core/clock.h"
#include "core/crypto.h"
#include "relay/relay.h"
#include "server/http_server.h"
#include "server/routes.h"
#include "server/webhook_auth.h"
#include "store/store.h"

namespace sms::server {
namespace {

std::chrono::milliseconds duration_of(const config::Config& c, std::string_view key) {
  return parse_duration(c.str(key)).value_or(std::chrono::seconds(10));
}

ListenOptions listen_options(const config::Config& c) {
  ListenOptions o;
  o.host = c.str("server.host");
  o.port = static_cast<int>(c.integer("server.port"));
  o.threads = static_cast<int>(c.integer("server.threads"));
  o.backlog = static_cast<int>(c.integer("server.backlog"));
  o.max_body_bytes = static_cast<std::size_t>(c.integer("server.maxBodyBytes"));
  o.read_timeout = duration_of(c, "server.readTimeout");
  o.write_timeout = duration_of(c, "server.writeTimeout");
  return o;
}

// The admin API needs a token; on first start we make one and keep it in the config file.
Result<void> ensure_admin_token(config::Loaded& loaded) {
  if (!loaded.effective.str("server.adminToken").empty()) return {};
  auto written = loaded.file.update([](nlohmann::json& layer) -> Result<void> {
    if (!config::get_dotted(layer, "server.adminToken") ||
        config::get_dotted(layer, "server.adminToken")->get<std::string>().empty())
      config::set_dotted(layer, "server.adminToken", crypto::random_hex(24));
    return {};
  });
  if (!written) return std::unexpected(written.error());
  loaded.layers.file = *written;
  loaded.effective = config::combine(loaded.layers);
  spdlog::info("generated server.adminToken and stored it in {}; show it with "
               "'infinity-sms config show --reveal'", loaded.file.path().string());
  return {};
}

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

std::filesystem::path data_dir(const config::Config& config, const config::Env& env) {
  if (auto d = config.str("server.dataDir"); !d.empty()) return d;
  if (auto it = env.find("XDG_STATE_HOME"); it != env.end() && !it->second.empty())
    return std::filesystem::path(it->second) / "infinity-sms";
  auto home = env.find("HOME");
  return std::filesystem::path(home != env.end() ? home->second : ".") / ".local/state/infinity-sms";
}

Result<int> serve(config::Loaded loaded, const config::Env& env) {
  // Signals are taken by one thread with sigwait; every thread started from here inherits the mask.
  sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (auto r = ensure_admin_token(loaded); !r) return std::unexpected(r.error());
  const auto dir = data_dir(loaded.effective, env);
  auto store = store::open_sqlite(dir / "outbox.db");
  if (!store) return std::unexpected(store.error());

  config::LiveConfig live(loaded.effective);
  relay::Relay relay(**store, live);
  AppState state(std::move(loaded), **store, relay, live);
  Router router;
  add_health_routes(router, state);
  add_config_routes(router, state);
  add_twilio_routes(router, state);
  add_infinity_routes(router, state);

  const auto config = live.get();
  HttpServer http(listen_options(*config), std::move(router));
  auto port = http.bind();
  if (!port) return std::unexpected(port.error());
  if (auto started = relay.start(); !started) return std::unexpected(started.error());

  for (const auto& w : unsigned_webhook_warnings(*config)) spdlog::warn("{}", w);
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    if (auto why = relay.blocked_reason(d); !why.empty())
      spdlog::warn("{} messages will stay queued: {}", store::to_string(d), why);
  spdlog::info("store {}", (dir / "outbox.db").string());
  fmt::print(stderr, "listening on http://{}:{}\n", config->str("server.host"), *port);
  std::fflush(stderr);

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http.stop();
  });
  http.run();
  relay.stop();
  if (signal_thread.joinable()) {
    pthread_kill(signal_thread.native_handle(), SIGTERM);  // no-op if it already returned
    signal_thread.join();
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace sms::server
