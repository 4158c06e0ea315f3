// What every subcommand shares: the global options, config loading and exit-code helpers.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/app.h"
#include "core/config_file.h"
#include "core/phone.h"
#include "http/client.h"
#include "store/store.h"

namespace sms::cli {

struct Context {
  std::string config_path;  // --config
  std::string env_file;     // --env-file
  std::string log_level = "info";
  std::string log_format = "text";  // --log-format
  bool log_unredacted = false;      // --log-unredacted
  std::function<int()> action;  // set by the chosen subcommand, run after parsing

  // Loads the configuration (file < env-file < env < flags); on failure prints the error and
  // returns nullopt (the caller exits 2).
  std::optional<config::Loaded> load(const nlohmann::json& flags = nlohmann::json::object()) const;
};

// Prints "infinity-sms: <message>" to stderr and returns the exit code for the error's kind:
// 2 for config and invalid input, 1 for everything else.
int report(const Error& error);

// --tenant NAME: the tenant whose accounts a command uses (tenants.<NAME>.*).
void add_tenant_option(CLI::App* cmd, std::string& tenant);
// The configuration a command uses: tenant `flag` when given, else the tenant serving
// `business_number` when one is given, else the default (top-level) one. nullptr, after printing
// why, for a tenant that does not exist.
const config::Config* tenant_config(const config::Config& config, const std::string& flag, std::string_view business_number = {});

// Registration of each subcommand (one file each).
void add_config(CLI::App& app, Context& ctx);
void add_token(CLI::App& app, Context& ctx);
void add_send_sms(CLI::App& app, Context& ctx);
void add_sign_webhook(CLI::App& app, Context& ctx);
void add_simulate_inbound(CLI::App& app, Context& ctx);
void add_serve(CLI::App& app, Context& ctx);
void add_outbox(CLI::App& app, Context& ctx);
void add_optout(CLI::App& app, Context& ctx);
void add_status(CLI::App& app, Context& ctx);
void add_doctor(CLI::App& app, Context& ctx);

// Opens the outbox serve uses (store.url's PostgreSQL, else SQLite at <server.dataDir or
// `data_dir`>/outbox.db), without the spool; safe while serve runs. Unless `create`, a missing
// outbox.db is an error (config) rather than a new empty outbox, so a mistyped directory shows.
Result<std::unique_ptr<store::Store>> open_store(Context& ctx, const std::string& data_dir, bool create = false);

// POSTs `body` to an absolute URL; prints "HTTP <status>" and the response body to stdout.
// Returns 0 for 2xx, 1 otherwise (transport failures explained on stderr, with `hint`).
int post_and_print(const std::string& url, const std::string& body, const std::string& content_type,
                   const http::Headers& headers, const std::string& hint = "");

}  // namespace sms::cli
