// The simulate-inbound subcommand: posts a signed Twilio inbound-SMS webhook to the connector.
#include "cli/context.h"
#include "core/crypto.h"
#include "core/text.h"
#include "twilio/signature.h"
#include "twilio/webhook.h"

namespace sms::cli {
namespace {

struct Opts {
  std::string from, to, body, url, account_sid, tenant;
  std::vector<std::string> media;
};

// The inbound-SMS form in the order Twilio sends it (twilio-api.md §2.2).
form::Fields inbound_form(const Opts& o, const std::string& sid, const std::string& account) {
  auto segments = text::segments(o.body).count;
  form::Fields f{{"ToCountry", "US"},       {"ToState", ""},          {"SmsMessageSid", sid},
                 {"NumMedia", std::to_string(o.media.size())},        {"ToCity", ""},
                 {"FromZip", ""},           {"SmsSid", sid},          {"FromState", ""},
                 {"SmsStatus", "received"}, {"FromCity", ""},         {"Body", o.body},
                 {"FromCountry", "US"},     {"To", o.to},             {"ToZip", ""},
                 {"NumSegments", std::to_string(segments)},           {"MessageSid", sid},
                 {"AccountSid", account},   {"From", o.from},         {"ApiVersion", "2010-04-01"}};
  for (std::size_t i = 0; i < o.media.size(); ++i) {
    f.emplace_back("MediaUrl" + std::to_string(i), o.media[i]);
    f.emplace_back("MediaContentType" + std::to_string(i), "image/jpeg");
  }
  return f;
}

int simulate(Context& ctx, const Opts& o) {
  for (const auto& n : {o.from, o.to})
    if (!is_e164(n)) return report(make_error(ErrorKind::invalid_input, "not an E.164 number (+ and up to 15 digits): " + n));
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto* tenant = tenant_config(loaded->effective, o.tenant, o.to);
  if (!tenant) return kExitUsage;
  const auto& c = *tenant;
  constexpr const char* path = "/callbacks/twilio/sms";
  auto url = !o.url.empty() ? o.url : "http://127.0.0.1:" + std::to_string(c.integer("server.port")) + path;
  auto account = !o.account_sid.empty() ? o.account_sid
                 : !c.str("twilio.account.sid").empty() ? c.str("twilio.account.sid")
                                                          : "AC" + crypto::random_hex(16);
  auto sid = twilio::new_message_sid();
  auto fields = inbound_form(o, sid, account);
  // Twilio signs the public URL it calls; the connector checks against server.publicUrl when set.
  auto public_url = c.str("server.publicUrl");
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  auto signed_url = public_url.empty() ? url : public_url + path;
  http::Headers headers;
  if (auto token = c.str("twilio.account.authToken"); !token.empty())
    headers.emplace("X-Twilio-Signature", twilio::compute_signature(token, signed_url, fields));
  else
    fmt::print(stderr, "infinity-sms: {} is not set: sending unsigned (accepted only in mock mode)\n", c.key_name("twilio.account.authToken"));
  fmt::print("MessageSid {}\n", sid);
  return post_and_print(url, form::encode(fields), "application/x-www-form-urlencoded", headers,
                        "is 'infinity-sms serve' running there?");
}

}  // namespace

void add_simulate_inbound(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("simulate-inbound", "Post a signed Twilio inbound-SMS webhook to the connector");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--from", o->from, "the end user's number, E.164")->required();
  cmd->add_option("--to", o->to, "your Twilio (business) number, E.164")->required();
  cmd->add_option("--body", o->body, "message text")->required();
  cmd->add_option("--media-url", o->media, "media URL (MMS); repeatable");
  cmd->add_option("--url", o->url, "webhook URL (default http://127.0.0.1:<server.port>/callbacks/twilio/sms)");
  cmd->add_option("--account-sid", o->account_sid, "AccountSid to send (default the tenant's twilio.account.sid)");
  add_tenant_option(cmd, o->tenant);
  cmd->footer(
      "Signs with twilio.account.authToken over server.publicUrl + /callbacks/twilio/sms when a public\n"
      "URL is set (as Twilio would), else over --url. Prints the MessageSid and the HTTP answer.\n"
      "Examples:\n"
      "  infinity-sms simulate-inbound --from +15551230001 --to +15559870002 --body Hello\n"
      "  infinity-sms simulate-inbound --from +15551230001 --to +15559870002 --body 'see photo' \\\n"
      "      --media-url https://example.com/cat.jpg --url http://127.0.0.1:9000/callbacks/twilio/sms");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return simulate(ctx, *o); }; });
}

}  // namespace sms::cli
