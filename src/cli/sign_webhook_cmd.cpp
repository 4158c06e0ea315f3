// The sign-webhook subcommand: signs, and optionally posts, an Infinity or Twilio webhook.
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/context.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "infinity/signature.h"
#include "twilio/signature.h"

namespace sms::cli {
namespace {

std::string uuid4() {
  auto h = crypto::random_hex(16);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

struct InfinityOpts {
  std::string secret, body_file, event, from, to, text = "Hi, how can I help you?", sender = "agent", connector_id, send, tenant;
};

// A realistic event, as Infinity would send it.
nlohmann::json build_event(const InfinityOpts& o, const config::Config& c) {
  auto now = iso8601_now();
  nlohmann::json out = {{"eventType", o.event}, {"eventId", uuid4()}, {"eventTimestamp", now}};
  if (o.event != "messages") return out;
  auto connector = !o.connector_id.empty() ? o.connector_id : c.str("avaya.connectorId");
  auto account = c.str("avaya.accountId");
  out["messageId"] = crypto::random_hex(13);
  out["accountId"] = account.empty() ? crypto::random_hex(13) : account;
  out["conversationSessionId"] = crypto::random_hex(13);
  out["connectorId"] = connector.empty() ? uuid4() : connector;
  out["channel"] = "text";
  out["headers"] = {{"from", o.from}, {"to", {o.to}}};
  out["body"] = {{"text", o.text}};
  out["sender"] = {{"type", o.sender}};
  return out;
}

int sign_infinity(Context& ctx, const InfinityOpts& o) {
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto* tenant = tenant_config(loaded->effective, o.tenant, o.from);
  if (!tenant) return kExitUsage;
  auto secret = o.secret.empty() ? tenant->str("avaya.webhookSecret") : o.secret;
  if (secret.empty()) return report(make_error(ErrorKind::config, "give --secret or set " + tenant->key_name("avaya.webhookSecret")));
  std::string body;
  if (!o.body_file.empty()) {
    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) return report(make_error(ErrorKind::invalid_input, "cannot read " + o.body_file));
    body.assign(std::istreambuf_iterator<char>(in), {});
  } else if (!o.event.empty()) {
    if (o.event == "messages" && (o.from.empty() || o.to.empty()))
      return report(make_error(ErrorKind::invalid_input, "--event messages needs --from (business number) and --to (end user)"));
    body = build_event(o, *tenant).dump();
    fmt::print("{}\n", body);
  } else {
    body.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  auto signature = infinity::compute_signature(secret, body);
  fmt::print("{}\n", signature);
  if (o.send.empty()) return kExitOk;
  return post_and_print(o.send, body, "application/json", {{"x-avaya-event-signature", signature}});
}

struct TwilioOpts {
  std::string auth_token, url, tenant;
  std::vector<std::string> params;
  bool send = false;
};

int sign_twilio(Context& ctx, const TwilioOpts& o) {
  form::Fields fields;
  for (const auto& p : o.params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return report(make_error(ErrorKind::invalid_input, "parameters are NAME=VALUE, got '" + p + "'"));
    fields.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  auto loaded = ctx.load();
  if (!loaded) return kExitUsage;
  const auto* tenant = tenant_config(loaded->effective, o.tenant, form::value(fields, "To"));
  if (!tenant) return kExitUsage;
  auto token = o.auth_token.empty() ? tenant->str("twilio.account.authToken") : o.auth_token;
  if (token.empty()) return report(make_error(ErrorKind::config, "give --auth-token or set " + tenant->key_name("twilio.account.authToken")));
  auto signature = twilio::compute_signature(token, o.url, fields);
  fmt::print("{}\n", signature);
  if (!o.send) return kExitOk;
  return post_and_print(o.url, form::encode(fields), "application/x-www-form-urlencoded", {{"X-Twilio-Signature", signature}});
}

}  // namespace

void add_sign_webhook(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("sign-webhook", "Sign (and optionally send) a webhook as Infinity or Twilio would");
  cmd->require_subcommand(1);

  auto* inf = cmd->add_subcommand("infinity", "Print the x-avaya-event-signature of a body (last line of output)");
  auto io = std::make_shared<InfinityOpts>();
  inf->add_option("--secret", io->secret, "webhook secret (default avaya.webhookSecret)");
  auto* body_file = inf->add_option("--body-file", io->body_file, "file holding the exact body (default: stdin)");
  inf->add_option("--event", io->event, "build an event instead: messages or health_check")
      ->check(CLI::IsMember({"messages", "health_check"}))
      ->excludes(body_file);
  inf->add_option("--from", io->from, "messages: headers.from, the business number");
  inf->add_option("--to", io->to, "messages: headers.to, the end user's number");
  inf->add_option("--text", io->text, "messages: body.text");
  inf->add_option("--sender", io->sender, "messages: sender.type (agent, bot, system, customer)");
  inf->add_option("--connector-id", io->connector_id, "messages: connectorId (default avaya.connectorId)");
  inf->add_option("--send", io->send, "POST the body with the signature to this URL and print the answer");
  add_tenant_option(inf, io->tenant);
  inf->footer(
      "Examples:\n"
      "  infinity-sms sign-webhook infinity --secret S --body-file event.json\n"
      "  infinity-sms sign-webhook infinity --secret S --event messages --from +15559870002 \\\n"
      "      --to +15551230001 --text 'Hi' --send http://127.0.0.1:8081/callbacks/avaya/infinity/sms");
  inf->callback([&ctx, io] { ctx.action = [&ctx, io] { return sign_infinity(ctx, *io); }; });

  auto* tw = cmd->add_subcommand("twilio", "Print the X-Twilio-Signature of a URL and form parameters (last line)");
  auto to = std::make_shared<TwilioOpts>();
  tw->add_option("--auth-token", to->auth_token, "auth token (default twilio.account.authToken)");
  tw->add_option("--url", to->url, "the exact URL Twilio calls, query included")->required();
  tw->add_option("params", to->params, "form parameters NAME=VALUE, in order");
  tw->add_flag("--send", to->send, "POST the form with the signature to --url and print the answer");
  add_tenant_option(tw, to->tenant);
  tw->footer(
      "Examples:\n"
      "  infinity-sms sign-webhook twilio --auth-token T --url https://sms.example.com/callbacks/twilio/sms \\\n"
      "      From=+15551230001 To=+15559870002 Body=Hello MessageSid=SM00000000000000000000000000000001");
  tw->callback([&ctx, to] { ctx.action = [&ctx, to] { return sign_twilio(ctx, *to); }; });
}

}  // namespace sms::cli
