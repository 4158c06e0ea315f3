// The optout subcommand: list, add, remove, import and export the opt-out register in the store
// serve uses (works while serve runs, on either backend).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/context.h"
#include "compliance/optout_csv.h"
#include "core/clock.h"
#include "store/store.h"

namespace sms::cli {
namespace {

struct Opts {
  std::string data_dir, business, end_user, file;
  bool json = false;
};

Result<void> check_numbers(const Opts& o) {
  for (auto [name, number] : {std::pair{"BUSINESS", &o.business}, std::pair{"END_USER", &o.end_user}})
    if (!is_e164(*number))
      return fail(ErrorKind::invalid_input, std::string(name) + " '" + *number + "' is not an E.164 number (+ and up to 15 digits)");
  return {};
}

int list(Context& ctx, const Opts& o) {
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto opt_outs = (*s)->list_opt_outs();
  if (!opt_outs) return report(opt_outs.error());
  if (o.json) {
    auto arr = nlohmann::json::array();
    for (const auto& x : *opt_outs) arr.push_back(compliance::to_json(x));
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  fmt::print("{:<16}  {:<16}  {:<24}  {:<15}  {}\n", "BUSINESS", "END USER", "SINCE", "SOURCE", "KEYWORD");
  for (const auto& x : *opt_outs)
    fmt::print("{:<16}  {:<16}  {:<24}  {:<15}  {}\n", x.business_number, x.end_user_number,
               iso8601(SysTime(std::chrono::milliseconds(x.since_ms))), x.source, x.keyword);
  return kExitOk;
}

int add(Context& ctx, const Opts& o) {
  if (auto ok = check_numbers(o); !ok) return report(ok.error());
  auto s = open_store(ctx, o.data_dir, true);
  if (!s) return report(s.error());
  store::OptOut x{o.business, o.end_user, unix_ms_now(), "operator", ""};
  if (auto r = (*s)->add_opt_outs({x}); !r) return report(r.error());
  fmt::print("opt-out added: {} gets nothing more from {}\n", o.end_user, o.business);
  return kExitOk;
}

int remove(Context& ctx, const Opts& o) {
  if (auto ok = check_numbers(o); !ok) return report(ok.error());
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto removed = (*s)->remove_opt_out(o.business, o.end_user);
  if (!removed) return report(removed.error());
  if (!*removed)
    return report(make_error(ErrorKind::not_found, o.end_user + " has no opt-out from " + o.business + ": nothing removed"));
  fmt::print("opt-out removed: {} may get messages from {} again\n", o.end_user, o.business);
  return kExitOk;
}

Result<std::string> read_input(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    if (std::cin.bad()) return fail(ErrorKind::internal, "cannot read standard input");
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorKind::invalid_input, "cannot read " + file + ": " + std::strerror(errno));
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorKind::internal, "cannot read " + file);
  return text.str();
}

int import(Context& ctx, const Opts& o) {
  auto text = read_input(o.file);
  if (!text) return report(text.error());
  // Every line is checked before anything is written; the write is one transaction.
  auto opt_outs = compliance::parse_csv(*text, unix_ms_now(), "import");
  if (!opt_outs) {
    auto e = opt_outs.error();
    e.message = (o.file == "-" ? std::string("standard input") : o.file) + ": " + e.message + "; nothing imported";
    return report(e);
  }
  auto s = open_store(ctx, o.data_dir, true);
  if (!s) return report(s.error());
  if (auto r = (*s)->add_opt_outs(*opt_outs); !r) {
    auto e = r.error();
    e.message += "; nothing imported";
    return report(e);
  }
  fmt::print("{} opt-out(s) imported\n", opt_outs->size());
  return kExitOk;
}

int export_csv(Context& ctx, const Opts& o) {
  auto s = open_store(ctx, o.data_dir);
  if (!s) return report(s.error());
  auto opt_outs = (*s)->list_opt_outs();
  if (!opt_outs) return report(opt_outs.error());
  fmt::print("{}", compliance::to_csv(*opt_outs));
  std::fflush(stdout);
  if (std::ferror(stdout)) return report(make_error(ErrorKind::internal, "cannot write the CSV to standard output"));
  return kExitOk;
}

}  // namespace

void add_optout(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("optout", "The opt-out register: who asked a business number to stop texting them (works while serve runs)");
  cmd->require_subcommand(1);
  cmd->footer("CSV files have the header business_number,end_user_number,since,source (since and source may be empty).");
  auto o = std::make_shared<Opts>();
  auto* l = cmd->add_subcommand("list", "List the opt-outs, by business number then end-user number");
  l->add_flag("--json", o->json, "print JSON");
  l->footer("Examples:\n  infinity-sms optout list\n  infinity-sms optout list --json");
  l->callback([&ctx, o] { ctx.action = [&ctx, o] { return list(ctx, *o); }; });
  auto* a = cmd->add_subcommand("add", "Record that END_USER gets nothing more from BUSINESS (source operator)");
  auto* r = cmd->add_subcommand("remove", "Remove an opt-out: END_USER may get messages from BUSINESS again");
  for (auto* sub : {a, r}) {
    sub->add_option("BUSINESS", o->business, "the business (Twilio) number, E.164")->required();
    sub->add_option("END_USER", o->end_user, "the end user's number, E.164")->required();
  }
  a->footer("Example:\n  infinity-sms optout add +15559870002 +15551230001");
  a->callback([&ctx, o] { ctx.action = [&ctx, o] { return add(ctx, *o); }; });
  r->footer("Example:\n  infinity-sms optout remove +15559870002 +15551230001");
  r->callback([&ctx, o] { ctx.action = [&ctx, o] { return remove(ctx, *o); }; });
  auto* i = cmd->add_subcommand("import", "Add the opt-outs of a CSV file (source import when empty): all of them, or none");
  i->add_option("FILE", o->file, "CSV file, or - for standard input")->required();
  i->footer("Examples:\n  infinity-sms optout import opt-outs.csv\n  infinity-sms optout export | ssh other infinity-sms optout import -");
  i->callback([&ctx, o] { ctx.action = [&ctx, o] { return import(ctx, *o); }; });
  auto* e = cmd->add_subcommand("export", "Write every opt-out as CSV to standard output");
  e->footer("Example:\n  infinity-sms optout export > opt-outs.csv");
  e->callback([&ctx, o] { ctx.action = [&ctx, o] { return export_csv(ctx, *o); }; });
  for (auto* sub : {l, a, r, i, e}) sub->add_option("--data-dir", o->data_dir, "outbox directory (server.dataDir)");
}

}  // namespace sms::cli
