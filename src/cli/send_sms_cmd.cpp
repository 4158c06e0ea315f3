// The send-sms subcommand: sends one SMS through Twilio's Messages API and prints its SID.
#include "cli/context.h"
#include "twilio/client.h"
#include "twilio/webhook.h"

namespace sms::cli {

void add_send_sms(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("send-sms", "Send an SMS through Twilio's Messages API and print its SID");
  struct Opts {
    std::string from, to, body, status_callback, tenant;
    std::vector<std::string> media;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--from", o->from, "sender: your Twilio number, E.164")->required();
  cmd->add_option("--to", o->to, "recipient, E.164")->required();
  cmd->add_option("--body", o->body, "message text")->required();
  cmd->add_option("--media-url", o->media, "media to attach (MMS); repeatable");
  cmd->add_option("--status-callback", o->status_callback, "URL for Twilio's delivery status callbacks");
  cmd->add_flag("--json", o->json, "print Twilio's whole message resource");
  add_tenant_option(cmd, o->tenant);
  cmd->footer(
      "Examples:\n"
      "  infinity-sms send-sms --from +15559870002 --to +15551230001 --body 'Your order shipped'\n"
      "Uses twilio.apiKey.sid/secret when set, else twilio.account.sid and authToken. In Twilio mock\n"
      "mode nothing is sent and a made-up SID is printed.");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      for (const auto& n : {o->from, o->to})
        if (!is_e164(n)) return report(make_error(ErrorKind::invalid_input, "not an E.164 number (+ and up to 15 digits): " + n));
      auto loaded = ctx.load();
      if (!loaded) return kExitUsage;
      // The tenant that serves --from, as serve routes a reply, so that none goes out with
      // another tenant's account; --tenant only names which one that must be.
      const auto& all = loaded->effective;
      const auto* serving = all.serving(o->from);
      if (!serving)
        return report(make_error(ErrorKind::invalid_input, "--from " + o->from + " is none of the tenants' numbers (tenants.NAME.numbers)"));
      if (!o->tenant.empty()) {
        const auto* named = tenant_config(all, o->tenant, o->from);
        if (!named) return kExitUsage;
        if (named != serving)
          return report(make_error(ErrorKind::invalid_input,
                                   fmt::format("--from {} is tenant {}'s number, not tenant {}'s: give --tenant {} or leave --tenant out",
                                               o->from, serving->tenant_name(), named->tenant_name(), serving->tenant_name())));
      }
      const auto& c = *serving;
      if (c.twilio_mock()) {
        auto sid = twilio::new_message_sid();
        fmt::print(stderr, "(mock: nothing sent)\n");
        fmt::print("{}\n", o->json ? nlohmann::json{{"sid", sid}, {"status", "queued"}, {"mock", true}}.dump(2) : sid);
        return kExitOk;
      }
      twilio::Client client(c.str("twilio.apiBaseUrl"),
                            {c.str("twilio.account.sid"), c.str("twilio.account.authToken"), c.str("twilio.apiKey.sid"),
                             c.str("twilio.apiKey.secret")});
      auto sent = client.send({o->from, o->to, o->body, o->media, o->status_callback});
      if (!sent) {
        const auto& e = sent.error();
        if (e.http_status) {
          fmt::print(stderr, "twilio: {}{}\n", e.message, e.more_info.empty() ? "" : " (" + e.more_info + ")");
          return kExitFailure;
        }
        return report(e);
      }
      fmt::print("{}\n", o->json ? sent->raw.dump(2) : sent->sid);
      return kExitOk;
    };
  });
}

}  // namespace sms::cli
