// The opt-out register: changes from what end users and Twilio say (logged and counted), and the replies it refuses.
#include "compliance/opt_out_register.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

namespace sms::compliance {

Result<void> apply(store::Store& store, OptAction action, const std::string& business, const std::string& end_user,
                   const std::string& source, const std::string& keyword) {
  if (action != OptAction::stop && action != OptAction::start) return {};
  if (action == OptAction::stop) {
    auto r = store.add_opt_outs({{business, end_user, unix_ms_now(), source, keyword}});
    if (!r) return r;
    spdlog::info("{} opted out of SMS from {} ({})", log::phone(end_user), business, source);
  } else {
    auto r = store.remove_opt_out(business, end_user);
    if (!r) return std::unexpected(r.error());
    spdlog::info("{} opted in to SMS from {} again ({}){}", log::phone(end_user), business, source,
                 *r ? "" : ": was not opted out");
  }
  metrics::registry()
      .counter("infinity_sms_optout_changes_total", "Opt-out register changes by action (stop, start) and source",
               {{"action", to_string(action)}, {"source", source}})
      .inc();
  return {};
}

std::optional<Error> refusal(store::Store& store, const store::Message& m, const config::Config& c) {
  if (m.direction != store::Direction::outbound || !c.flag("compliance.enforceOptOut")) return std::nullopt;
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object()) return std::nullopt;
  auto business = payload.value("from", ""), end_user = payload.value("to", "");
  auto opted_out = store.opted_out(business, end_user);
  if (!opted_out) {
    // The failure is the store's, not Twilio's: it must not mark Twilio failing.
    auto e = opted_out.error();
    e.kind = ErrorKind::internal;
    e.message = "opt-out check: " + e.message;
    return e;
  }
  if (!*opted_out) return std::nullopt;
  auto e = make_error(ErrorKind::permanent, "not sent: " + log::phone(end_user) + " opted out of SMS from " + business +
                                                " (compliance.enforceOptOut)");
  e.provider_code = "opted_out";
  return e;
}

void opted_out_at_twilio(store::Store& store, const store::Message& m) {
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object()) return;
  auto r = apply(store, OptAction::stop, payload.value("from", ""), payload.value("to", ""), "twilio", "");
  if (!r) spdlog::error("{}", r.error().message);
}

}  // namespace sms::compliance
