// The config loader on hostile files: the JSON config file and the dotenv file. Loading never
// crashes; what loads combines into a config whose masked view has every key.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "core/config.h"
#include "core/config_file.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/infinity-sms-config-fuzz-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  sms::config::Layers layers;
  if (auto file = sms::config::ConfigFile(path).read()) layers.file = *file;
  if (auto env = sms::config::read_dotenv(path)) {
    if (auto overrides = sms::config::env_overrides(*env)) layers.env = *overrides;
  }
  auto config = sms::config::combine(layers);
  auto masked = config.masked();
  for (const auto& spec : sms::config::schema()) FUZZ_CHECK(sms::config::get_dotted(masked, spec.key) != nullptr);
  return 0;
}
