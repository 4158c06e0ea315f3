// The operator console's static files (src/server/console/), compiled into the binary by
// cmake/console_assets.cmake.
#pragma once

#include <optional>
#include <string_view>

namespace sms::server {

struct ConsoleAsset {
  std::string_view content_type;
  std::string_view bytes;
};

// The file named `name` (e.g. "index.html", "console.js"); nullopt for any other name.
std::optional<ConsoleAsset> console_asset(std::string_view name);

}  // namespace sms::server
