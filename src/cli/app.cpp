#include "cli/app.h"

#include <CLI/CLI.hpp>

namespace sms::cli {

int run(int argc, char** argv) {
  CLI::App app{"infinity-sms: an SMS connector between Twilio and Avaya Infinity"};
  app.set_version_flag("--version", INFINITY_SMS_VERSION);
  app.require_subcommand(1);
  app.add_subcommand("serve", "Run the connector");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return kExitOk;
}

}  // namespace sms::cli
