// What the routes share: the live configuration and its layers, the store, the relay.
#pragma once

#include <mutex>

#include "core/config_file.h"
#include "core/live_config.h"
#include "relay/relay.h"
#include "store/store.h"

namespace sms::server {

struct AppState {
  AppState(config::Loaded loaded_, store::Store& store_, relay::Relay& relay_,
           config::LiveConfig& live_)
      : loaded(std::move(loaded_)), store(store_), relay(relay_), live(live_) {}

  std::mutex config_mutex;  // serialises configuration changes (guards loaded.layers)
  config::Loaded loaded;    // the file and the layers the live config was combined from
  store::Store& store;
  relay::Relay& relay;
  config::LiveConfig& live;
};

}  // namespace sms::server
