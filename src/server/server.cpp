// serve: data directory, listeners, admin token, signals, start-up and graceful shutdown.
#include "server/server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/metrics.h"
#include "relay/relay.h"
#include "server/config_apply.h"
#include "server/http_server.h"
#include "server/listen_fds.h"
#include "server/routes.h"
#include "server/webhook_auth.h"
#include "store/retention.h"
#include "store/store.h"

namespace sms::server {
namespace {

std::chrono::milliseconds duration_of(const config::Config& c, std::string_view key) {
  return parse_duration(c.str(key)).value_or(std::chrono::seconds(10));
}

// One listener's options: the webhook listener, or the admin one when `admin`.
ListenOptions listen_options(const config::Config& c, bool admin) {
  ListenOptions o;
  o.name = admin ? "admin" : "webhook";
  o.keys = admin ? "server.adminHost, server.adminPort" : "server.host, server.port";
  o.host = c.str(admin ? "server.adminHost" : "server.host");
  o.port = static_cast<int>(c.integer(admin ? "server.adminPort" : "server.port"));
  o.threads = static_cast<int>(c.integer("server.threads"));
  o.max_connections = static_cast<int>(c.integer("server.maxConnections"));
  o.backlog = static_cast<int>(c.integer("server.backlog"));
  o.max_body_bytes = static_cast<std::size_t>(c.integer("server.maxBodyBytes"));
  o.max_header_bytes = static_cast<std::size_t>(c.integer("server.maxHeaderBytes"));
  o.read_timeout = duration_of(c, "server.readTimeout");
  o.write_timeout = duration_of(c, "server.writeTimeout");
  o.idle_timeout = duration_of(c, "server.idleTimeout");
  o.tls_cert = c.str("server.tls.cert");
  o.tls_key = c.str("server.tls.key");
  return o;
}

Result<void> check_tls_config(const config::Config& c) {
  if (c.str("server.tls.cert").empty() != c.str("server.tls.key").empty())
    return fail(ErrorKind::config, "set both server.tls.cert and server.tls.key, or neither");
  return {};
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

// SIGTERM and SIGINT stop serve; SIGHUP reloads its configuration.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Serves the socket the service manager passed in, or binds one of its own.
Result<int> open_listener(HttpServer& http, std::optional<int> inherited) {
  return inherited ? http.adopt(*inherited) : http.bind();
}

// Until a stop signal: SIGHUP reloads the configuration.
void handle_signals(const sigset_t& signals, AppState& state) {
  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP) {
      spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      return;
    }
    if (auto r = reload(state); !r)
      spdlog::error("SIGHUP: configuration not reloaded, the running one stays: {}", r.error().message);
  }
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
  sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (auto whole = config::check_whole(loaded.effective); !whole) return std::unexpected(whole.error());
  if (auto r = ensure_admin_token(loaded); !r) return std::unexpected(r.error());
  const auto dir = data_dir(loaded.effective, env);
  auto store = store::open_for_serve(loaded.effective, dir);
  if (!store) return std::unexpected(store.error());
  (*store)->counts();  // SQLite counts its outbox once here, before webhooks come, not at the first status

  config::LiveConfig live(loaded.effective);
  relay::Relay relay(**store, live);
  AppState state(std::move(loaded), **store, relay, live);
  // The /metrics gauges read `state`; they are removed before it goes, on every way out.
  struct GaugesCleared {
    ~GaugesCleared() { metrics::registry().clear_gauges(); }
  } gauges_cleared;
  // The webhook plane faces the internet; the admin plane (configuration) listens apart, on
  // loopback by default, and still wants the admin token.
  Router webhooks, admin;
  add_health_routes(webhooks, state);
  add_twilio_routes(webhooks, state);
  add_infinity_routes(webhooks, state);
  add_health_routes(admin, state);
  add_config_routes(admin, state);
  add_optout_routes(admin, state);
  add_message_routes(admin, state);
  add_throughput_routes(admin, state);
  add_metrics_routes(admin, state);
  add_status_routes(admin, state);
  add_console_routes(admin);  // never on the webhook listener: the console is for operators

  const auto config = live.get();
  if (auto tls = check_tls_config(*config); !tls) return std::unexpected(tls.error());
  HttpServer http(listen_options(*config, false), std::move(webhooks));
  HttpServer admin_http(listen_options(*config, true), std::move(admin));
  auto inherited = inherited_sockets(env, ::getpid());
  if (!inherited) return std::unexpected(inherited.error());
  auto port = open_listener(http, inherited->webhook);
  if (!port) return std::unexpected(port.error());
  auto admin_port = open_listener(admin_http, inherited->admin);
  if (!admin_port) return std::unexpected(admin_port.error());
  if (auto started = relay.start(); !started) return std::unexpected(started.error());
  store::Retention retention(**store, live);
  retention.start();

  for (const auto& w : unsigned_webhook_warnings(*config)) spdlog::warn("{}", w);
  for (auto d : {store::Direction::inbound, store::Direction::outbound})
    if (auto why = relay.blocked_reason(d); !why.empty())
      spdlog::warn("{} messages will stay queued: {}", store::to_string(d), why);
  if (config->str("store.url").empty()) spdlog::info("store {}", (dir / "outbox.db").string());
  else spdlog::info("store PostgreSQL (store.url), spool {}", (dir / "spool.db").string());
  const char* scheme = config->str("server.tls.cert").empty() ? "http" : "https";
  fmt::print(stderr, "listening on {}://{}:{}\nadmin listening on {}://{}:{}\n", scheme, http.host(), *port,
             scheme, admin_http.host(), *admin_port);
  std::fflush(stderr);

  if (inherited->webhook || inherited->admin)
    spdlog::info("listening on the sockets the service manager passed in (LISTEN_FDS): {}{}",
                 inherited->webhook ? "webhook " : "", inherited->admin ? "admin" : "");
  std::thread signal_thread([&] {
    handle_signals(signals, state);
    http.stop();
    admin_http.stop();
  });
  std::thread admin_thread([&] { admin_http.run(); });
  http.run();
  admin_http.stop();
  admin_thread.join();
  retention.stop();
  relay.stop();
  if (signal_thread.joinable()) {
    pthread_kill(signal_thread.native_handle(), SIGTERM);  // no-op if it already returned
    signal_thread.join();
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace sms::server
