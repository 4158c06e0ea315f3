// Changes to the opt-out register from what end users and Twilio say, logged and counted.
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

}  // namespace sms::compliance
