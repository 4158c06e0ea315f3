// Opening the outbox serve uses, for the commands that work on it directly (outbox, optout).
#include "cli/context.h"
#include "server/server.h"
#include "store/store.h"

namespace sms::cli {

Result<std::unique_ptr<store::Store>> open_store(Context& ctx, const std::string& data_dir, bool create) {
  nlohmann::json flags = nlohmann::json::object();
  if (!data_dir.empty()) flags["server"]["dataDir"] = data_dir;
  auto loaded = ctx.load(flags);
  if (!loaded) return fail(ErrorKind::config, "cannot load the configuration");
  auto dir = server::data_dir(loaded->effective, config::process_env());
  if (!create && loaded->effective.str("store.url").empty() && !std::filesystem::exists(dir / "outbox.db"))
    return fail(ErrorKind::config, "no outbox at " + (dir / "outbox.db").string() + " (see server.dataDir and store.url)");
  return store::open_for_tools(loaded->effective, dir);
}

}  // namespace sms::cli
