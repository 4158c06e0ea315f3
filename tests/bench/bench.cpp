// infinity-sms-bench: starts fake Twilio and Infinity upstreams that answer at once, a bare
// cpp-httplib handler and `infinity-sms serve` on loopback, runs each scenario against them and
// prints one table (docs/performance.md). Usage: infinity-sms-bench [--quick]
// (also: `send` and `fakes`, to profile serve: see main).
#include <httplib.h>
#include <sqlite3.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/form.h"
#include "fakes/fake_infinity.h"
#include "fakes/fake_twilio.h"
#include "fakes/process.h"
#include "fakes/serve_config.h"
#include "fakes/test_database.h"
#include "infinity/signature.h"
#include "load.h"
#include "store/store.h"
#include "twilio/signature.h"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kWebhookSecret = "bench-webhook-secret";
constexpr int kConversations = 100;
// Webhooks sent as fast as answered go over this many keep-alive connections, and the bare
// handler and the serves they load have as many worker threads (server.threads). A webhook is
// answered after its group commit's fsync, so with few connections most of them wait for a
// commit and the CPU idles: 32 connections measure the client, not the server (see docs/performance.md).
constexpr int kLoadConnections = 128;
const json kLoadThreads = {{"server", {{"threads", kLoadConnections}}}};

struct Row {
  std::string figure, measured, target;
};
std::vector<Row> rows;

void report(std::string figure, std::string measured, std::string target) {
  std::fprintf(stderr, "  %-58s %s\n", figure.c_str(), measured.c_str());
  rows.push_back({std::move(figure), std::move(measured), std::move(target)});
}

// The rows reported, as a Markdown table on stdout.
void print_table() {
  std::printf("| figure | measured | target |\n|---|---|---|\n");
  for (const auto& r : rows) std::printf("| %s | %s | %s |\n", r.figure.c_str(), r.measured.c_str(), r.target.c_str());
}

// Resident memory of a process in MB: now (VmRSS) or its peak so far (VmHWM).
double rss_mb(int pid, std::string_view field = "VmRSS:") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(field)) return std::stod(line.substr(field.size())) / 1024.0;
  return 0;
}

// CPU time (user + system) a process has used, and its threads' context switches.
struct Usage {
  double cpu_ms = 0;
  std::int64_t switches = 0;
};
Usage usage(int pid) {
  Usage u;
  auto proc = "/proc/" + std::to_string(pid);
  std::ifstream stat(proc + "/stat");
  std::string field;
  for (int i = 1; i <= 13 && stat >> field; ++i) {
  }
  std::int64_t user = 0, system = 0;
  stat >> user >> system;
  u.cpu_ms = static_cast<double>(user + system) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator(proc + "/task")) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (line.find("ctxt_switches:") != std::string::npos) u.switches += std::stoll(line.substr(line.find(':') + 1));
  }
  return u;
}

// The port a child printed in its "<prefix>http://HOST:PORT" line.
int port_from(fakes::Child& child, const std::string& prefix) {
  auto line = child.wait_for_line(prefix, 20s);
  if (!line) throw std::runtime_error("no '" + prefix + "' line from " + child.output());
  return std::stoi(line->substr(line->rfind(':') + 1));
}

bool ready(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 200000);
  auto r = c.Get("/api/ready");
  return r && r->status == 200;
}

// A running `serve` wired to the fakes, its configuration changed by `patch` (a JSON merge
// patch), keeping its data in `data_dir` (a fresh directory when empty).
// serve's configuration for the fakes.
json config_for(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf) {
  auto cfg = fakes::upstream_config(tw, inf, kWebhookSecret);
  cfg["server"] = {{"adminToken", "bench-admin-token"}};
  // Not paced: the benchmark sends thousands a second from one long code.
  cfg["relay"] = {{"retryInitial", "1s"}, {"retryMax", "30s"}, {"pacing", {{"longCode", 0}}}};
  return cfg;
}

struct Serve {
  Serve(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const json& patch = json::object(), std::string data_dir = "")
      : data(data_dir.empty() ? dir.file("data") : std::move(data_dir)) {
    json cfg = config_for(tw, inf);
    cfg.merge_patch(patch);
    std::ofstream(dir.file("config.json")) << cfg.dump();
    start = clock_type::now();
    child = std::make_unique<fakes::Child>(std::vector<std::string>{
        "--config", dir.file("config.json"), "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
        "--data-dir", data});
    admin_port = port_from(*child, "admin listening on ");
    auto out = child->output();
    auto line = out.substr(0, out.find("\nadmin listening on "));
    port = std::stoi(line.substr(line.rfind(':') + 1));
  }
  void stop() {
    child->signal(SIGTERM);
    child->wait(30s);
  }
  // Milliseconds from spawning the process to the first 200 from /api/ready.
  double ms_to_ready() {
    while (!ready(port)) std::this_thread::sleep_for(1ms);
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  }

  fakes::TempDir dir;
  std::string data;
  std::unique_ptr<fakes::Child> child;
  clock_type::time_point start;
  int port = 0, admin_port = 0;
};

// The end user of webhook i, one of `conversations`.
std::string number(std::int64_t i, int conversations = kConversations) { return fmt::format("+1555{:07d}", i % conversations); }

// An SMS, or with `media_url` an MMS of that one image/jpeg.
bench::Request twilio_inbound(int port, const std::string& token, std::int64_t i, const std::string& tag,
                              int conversations = kConversations, const std::string& to = "+15559870002",
                              const std::string& media_url = "") {
  sms::form::Fields f = {{"MessageSid", fmt::format("{}{:032x}", media_url.empty() ? "SM" : "MM", i)},
                         {"AccountSid", "AC00000000000000000000000000000001"},
                         {"From", number(i, conversations)},  {"To", to}, {"Body", fmt::format("{}-{}", tag, i)},
                         {"NumMedia", media_url.empty() ? "0" : "1"}, {"NumSegments", "1"}};
  if (!media_url.empty()) f.insert(f.end(), {{"MediaUrl0", media_url}, {"MediaContentType0", "image/jpeg"}});
  auto url = fmt::format("http://127.0.0.1:{}/callbacks/twilio/sms", port);
  return {"/callbacks/twilio/sms", "application/x-www-form-urlencoded", sms::form::encode(f),
          {{"X-Twilio-Signature", sms::twilio::compute_signature(token, url, f)}}};
}

bench::Request infinity_event(const std::string& connector, std::int64_t i, const std::string& tag) {
  json e = {{"eventType", "messages"}, {"eventId", fmt::format("ev-{}-{}", tag, i)}, {"messageId", fmt::format("m{}", i)},
            {"conversationSessionId", fmt::format("c{}", i % kConversations)}, {"connectorId", connector},
            {"channel", "text"}, {"headers", {{"from", "+15559870002"}, {"to", {number(i)}}}},
            {"body", {{"text", fmt::format("{}-{}", tag, i)}}}, {"sender", {{"type", "agent"}}}};
  auto body = e.dump();
  return {"/callbacks/avaya/infinity/sms", "application/json", body,
          {{"x-avaya-event-signature", sms::infinity::compute_signature(kWebhookSecret, body)}}};
}

// Deliveries of messages tagged `tag` at an upstream: index → when the fake got it.
std::map<std::int64_t, clock_type::time_point> deliveries(const fakes::FakeUpstream& up, const std::string& tag) {
  std::map<std::int64_t, clock_type::time_point> out;
  auto needle = tag + "-";
  for (const auto& r : up.requests()) {
    auto at = r.body.find(needle);
    if (at == std::string::npos) continue;
    out.emplace(std::stoll(r.body.substr(at + needle.size())), r.at);
  }
  return out;
}

// Waits (up to 120 s) until the upstream holds `total` messages on `path`, then returns those
// tagged `tag`.
std::map<std::int64_t, clock_type::time_point> wait_deliveries(const fakes::FakeUpstream& up, const std::string& path,
                                                              std::size_t total, const std::string& tag) {
  up.wait_for(total, 120s, path);
  return deliveries(up, tag);
}

std::string rate(double per_second) { return fmt::format("{:.0f}/s", per_second); }

// Median time of one relay claim of 8 conversation heads (released again at once), an hour ahead
// so that heads waiting for a retry are due too.
std::string claim_ms(sms::store::Store& store) {
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    auto t0 = clock_type::now();
    auto claimed = store.claim_due(sms::store::Direction::inbound, sms::unix_ms_now() + 3'600'000, 8, {});
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    if (!claimed) return claimed.error().message;
    if (claimed->size() != 8) return fmt::format("{} heads claimed, not 8", claimed->size());
    std::vector<std::int64_t> ids;
    for (const auto& m : *claimed) ids.push_back(m.id);
    store.release(ids, 0);
  }
  return fmt::format("{:.2f} ms", bench::percentile(ms, 50));
}

// Delivery rate of the `total` messages tagged `tag`, once they reached the upstream (which had
// `earlier` messages on `path` before them), and how many of them arrived.
std::pair<double, std::size_t> delivery_rate(const fakes::FakeUpstream& up, const std::string& path, const std::string& tag,
                                             std::int64_t total, std::size_t earlier = 0) {
  auto got = wait_deliveries(up, path, earlier + static_cast<std::size_t>(total), tag);
  clock_type::time_point first = clock_type::time_point::max(), last{};
  for (const auto& [i, at] : got) first = std::min(first, at), last = std::max(last, at);
  double secs = std::chrono::duration<double>(last - first).count();
  return {secs > 0 ? static_cast<double>(got.size()) / secs : 0, got.size()};
}

std::string relay_rate(const fakes::FakeUpstream& up, const std::string& path, const std::string& tag, std::int64_t total,
                       std::size_t earlier = 0) {
  auto [per_second, delivered] = delivery_rate(up, path, tag, total, earlier);
  return fmt::format("{} ({} of {} delivered)", rate(per_second), delivered, total);
}

// Fills a store through a serve whose Infinity is down until `target` messages are queued, over
// kBacklogConversations conversations (so that the claim figure shows how claims grow with them).
constexpr int kBacklogConversations = 10000;
std::int64_t fill(Serve& down, const fakes::FakeTwilio& tw, std::int64_t target) {
  auto filled = bench::run_load({down.port, 32, 0, 600s, target}, [&](std::int64_t i) {
    return twilio_inbound(down.port, tw.auth_token(), 3'000'000 + i, "queued", kBacklogConversations);
  });
  return filled.ok;
}

// Makes every message of the SQLite outbox at `path` finished (sent) and, with the dedupe keys,
// 40 days old: everything serve's retention (30 days by default) purges at its start. Returns
// how many messages that is, or -1.
std::int64_t age_to_finished(const std::string& path) {
  sqlite3* db = nullptr;
  std::int64_t messages = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
      sqlite3_exec(db, "UPDATE messages SET state = 'sent', created_ms = created_ms - 3456000000, updated_ms = updated_ms - 3456000000",
                   nullptr, nullptr, nullptr) == SQLITE_OK) {
    messages = sqlite3_changes(db);
    if (sqlite3_exec(db, "UPDATE dedupe SET created_ms = created_ms - 3456000000", nullptr, nullptr, nullptr) != SQLITE_OK) messages = -1;
  }
  sqlite3_close(db);
  return messages;
}

std::string latencies(std::vector<double>& ms) {
  return fmt::format("{:.2f} / {:.2f} / {:.2f} ms", bench::percentile(ms, 50), bench::percentile(ms, 99),
                     bench::percentile(ms, 99.9));
}

// Deliveries blocked by missing credentials (the webhooks are still accepted and stored).
const json kTwilioBlocked = {{"twilio", {{"account", {{"sid", ""}}}}}};
const json kBothBlocked = {{"twilio", {{"account", {{"sid", ""}}}}}, {"avaya", {{"clientSecret", ""}}}};

// Signed inbound webhooks sent to `s` as `load` says, numbered from `first` and tagged `tag`, and
// what they cost `s`.
struct Accepted {
  bench::LoadResult load;
  Usage before, after;
  // "<CPU time> us / <context switches>" per webhook accepted.
  std::string cost() const {
    auto n = static_cast<double>(std::max<std::int64_t>(load.ok, 1));
    return fmt::format("{:.0f} us / {:.1f}", (after.cpu_ms - before.cpu_ms) * 1000.0 / n,
                       static_cast<double>(after.switches - before.switches) / n);
  }
};
Accepted accept_inbound(const Serve& s, const fakes::FakeTwilio& tw, bench::LoadOptions load, std::int64_t first, const std::string& tag) {
  Accepted a;
  a.before = usage(s.child->pid());
  load.port = s.port;
  a.load = bench::run_load(load, [&](std::int64_t i) { return twilio_inbound(s.port, tw.auth_token(), first + i, tag); });
  a.after = usage(s.child->pid());
  return a;
}

// Queues `each` messages in each direction in `data_dir` through a serve whose deliveries are
// blocked, tagged `<tag>2infinity` and `<tag>2twilio`, numbered from `first`. Returns how the
// inbound webhooks were accepted.
Accepted queue_backlog(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, const std::string& data_dir, std::int64_t each,
                       std::int64_t first, const std::string& tag) {
  auto patch = kBothBlocked;
  patch.merge_patch(kLoadThreads);
  Serve blocked(tw, inf, patch, data_dir);
  auto inbound = accept_inbound(blocked, tw, {0, kLoadConnections, 0, 600s, each}, first, tag + "2infinity");
  bench::run_load({blocked.port, kLoadConnections, 0, 600s, each}, [&](std::int64_t i) {
    return infinity_event(inf.connector_id(), first + i, tag + "2twilio");
  });
  blocked.stop();
  return inbound;
}

// Recovery after an outage: `per_second` webhooks a second each way for 10 s while Infinity
// answers 503 and Twilio 429 (fresh fakes and serve, production's backoff and probe interval).
// Returns the time from the end of the outage to the delivery of the whole backlog built during
// it, and the requests each upstream got meanwhile.
std::string recovery(double per_second) {
  const auto to_infinity = "/api/digital", to_twilio = "/2010-04-01";
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(tw, inf, {{"relay", {{"retryMax", "5m"}}}});  // the default, where the other runs have 30s
  s.ms_to_ready();
  auto outage_end = clock_type::now() + 10s;
  fakes::Failure down;
  down.until = outage_end;
  down.status = 503;
  down.path_prefix = to_infinity;
  inf.inject(down);
  down.status = 429;
  down.path_prefix = to_twilio;
  tw.inject(down);
  bench::LoadResult in, out;
  std::thread outbound([&] {
    out = bench::run_load({s.port, 8, per_second, 10s}, [&](std::int64_t i) { return infinity_event(inf.connector_id(), i, "outage"); });
  });
  in = bench::run_load({s.port, 8, per_second, 10s}, [&](std::int64_t i) { return twilio_inbound(s.port, tw.auth_token(), i, "outage"); });
  outbound.join();
  auto deadline = clock_type::now() + 120s;
  while ((inf.messages().size() < static_cast<std::size_t>(in.ok) || tw.messages().size() < static_cast<std::size_t>(out.ok)) &&
         clock_type::now() < deadline)
    std::this_thread::sleep_for(10ms);
  auto drained = std::chrono::duration<double>(clock_type::now() - outage_end).count();
  auto line = fmt::format("{:.1f} s ({} of {} / {} of {} delivered; {} / {} requests to Infinity / Twilio during the outage)",
                          drained, inf.messages().size(), in.ok, tw.messages().size(), out.ok,
                          inf.count_before(to_infinity, outage_end), tw.count_before(to_twilio, outage_end));
  s.stop();
  return line;
}

// The bare handler: the same listener settings as serve (TCP_NODELAY, keep-alive, thread pool).
// Agents' replies accepted, the relay delivering them meanwhile: without the opt-out check
// (compliance.enforceOptOut false), with it and an empty register, and with it and `pairs`
// opt-outs of other end users of the same business number; in alternating runs, twice each.
// The better rate of each, and the last two as shares of the first.
std::string opt_out_register_cost(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, std::chrono::milliseconds seconds,
                                  int pairs) {
  fakes::TempDir empty, full;
  {
    auto store = sms::store::open_sqlite(full.file("outbox.db"));
    if (!store) return store.error().message;
    std::vector<sms::store::OptOut> opt_outs;
    for (int i = 0; i < pairs; ++i) opt_outs.push_back({"+15559870002", fmt::format("+1666{:07d}", i), sms::unix_ms_now(), "import", ""});
    if (auto r = (*store)->add_opt_outs(opt_outs); !r) return r.error().message;
  }
  double best[3] = {0, 0, 0};
  for (int round = 0; round < 2; ++round)
    for (int k = 0; k < 3; ++k) {
      auto patch = kLoadThreads;
      patch.merge_patch({{"compliance", {{"enforceOptOut", k > 0}}}});
      Serve s(tw, inf, patch, (k == 2 ? full : empty).path());
      s.ms_to_ready();
      auto earlier = tw.count("/2010-04-01");
      auto tag = fmt::format("optout{}{}", k, round);
      auto load = bench::run_load({s.port, kLoadConnections, 0, seconds}, [&](std::int64_t i) {
        return infinity_event(inf.connector_id(), 10'000'000 * (3 * round + k + 1) + i, tag);
      });
      best[k] = std::max(best[k], load.per_second());
      tw.wait_for(earlier + static_cast<std::size_t>(load.ok), 120s, "/2010-04-01");  // before the next run
      s.stop();
    }
  auto share = [&](double r) { return best[0] > 0 ? r / best[0] : 0; };
  return fmt::format("{} / {} / {} ({:.2f} / {:.2f})", rate(best[0]), rate(best[1]), rate(best[2]), share(best[1]), share(best[2]));
}

// The business number of webhook i spread over `numbers` numbers: the default one, then
// +14440000001 and on (the numbers of the tenants below).
std::string business_number(std::int64_t i, std::int64_t numbers) {
  return i % numbers == 0 ? std::string("+15559870002") : fmt::format("+1444{:07d}", i % numbers);
}

// Pins every thread of process `pid` to `cpus`; threads started later inherit their starter's.
void pin(int pid, const cpu_set_t& cpus) {
  for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid)))
    sched_setaffinity(std::stoi(task.path().filename().string()), sizeof cpus, &cpus);
}

// Inbound webhooks accepted, and relayed to Infinity, with one tenant and with 50 (49 named
// ones beside the default, on the same fakes): the same load, webhook i to business number
// i % 50, which with 50 tenants is tenant (i % 50)'s. Serve runs alone on the first CPU this
// process may use and this process (the client and the fakes) on the others, so that the
// rates are serve's and not the share of the cores the client and fakes leave it (with one
// CPU all share it). Three configurations in alternating runs, twice each: one tenant, 50,
// and one again (what the same configuration gives twice: the noise). The better of each; the
// 50-tenant figures and the second one-tenant ones as shares of the first; and serve's CPU time
// per webhook accepted and relayed (the lower of each).
std::string tenants_cost(const fakes::FakeTwilio& tw, const fakes::FakeInfinity& inf, std::chrono::milliseconds seconds,
                         const std::string& to_infinity) {
  constexpr int kTenants = 50;
  auto business = [](std::int64_t i) { return business_number(i, kTenants); };
  json tenants = json::object();
  for (int t = 1; t < kTenants; ++t) {
    auto tenant = fakes::upstream_config(tw, inf, kWebhookSecret);
    tenant["avaya"]["connectorId"] = fmt::format("bench-connector-{}", t);
    tenant["numbers"] = {business(t)};
    tenants[fmt::format("t{:02d}", t)] = tenant;
  }
  cpu_set_t all, serve_cpu, others;
  CPU_ZERO(&serve_cpu);
  sched_getaffinity(0, sizeof all, &all);
  others = all;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &serve_cpu);
      CPU_CLR(c, &others);
      break;
    }
  const bool apart = CPU_COUNT(&others) > 0;
  if (apart) pin(getpid(), others);
  double accepted[3] = {0, 0, 0}, relayed[3] = {0, 0, 0}, cpu_us[3] = {1e9, 1e9, 1e9};
  for (int round = 0; round < 2; ++round)
    for (int k = 0; k < 3; ++k) {
      auto patch = kLoadThreads;
      if (k == 1) patch["tenants"] = tenants;
      Serve s(tw, inf, patch);
      if (apart) pin(s.child->pid(), serve_cpu);
      s.ms_to_ready();
      auto earlier = inf.count(to_infinity);
      auto tag = fmt::format("tenants{}{}", k, round);
      auto cpu_before = usage(s.child->pid());
      auto load = bench::run_load({s.port, kLoadConnections, 0, seconds}, [&](std::int64_t i) {
        auto n = 10'000'000 * (3 * round + k + 20) + i;
        return twilio_inbound(s.port, tw.auth_token(), n, tag, kConversations, business(i));
      });
      accepted[k] = std::max(accepted[k], load.per_second());
      relayed[k] = std::max(relayed[k], delivery_rate(inf, to_infinity, tag, load.ok, earlier).first);
      auto cpu_ms = usage(s.child->pid()).cpu_ms - cpu_before.cpu_ms;
      cpu_us[k] = std::min(cpu_us[k], cpu_ms * 1000.0 / static_cast<double>(std::max<std::int64_t>(load.ok, 1)));
      s.stop();
    }
  if (apart) pin(getpid(), all);
  auto shares = [](const double (&v)[3]) { return fmt::format("{:.2f}; noise {:.2f}", v[1] / v[0], v[2] / v[0]); };
  return fmt::format("{}accepted {} / {} ({}), relayed {} / {} ({}); serve's CPU per webhook {:.0f} / {:.0f} us ({})",
                     apart ? "" : "(one CPU, serve sharing it) ", rate(accepted[0]), rate(accepted[1]), shares(accepted),
                     rate(relayed[0]), rate(relayed[1]), shares(relayed), cpu_us[0], cpu_us[1], shares(cpu_us));
}

// Inbound MMS attached in Infinity (relay.inboundMedia attach), each of one media of
// relay.maxMediaBytes (its default, 5 MB: the largest attached): what relaying `mms` of them
// costs a fresh serve with `concurrency` workers in resident memory, and how long it takes.
// Fresh fakes hold the media: kDistinctMedia random ones, MMS i carrying media i % kDistinctMedia.
constexpr std::size_t kMediaBytes = 5 << 20;
constexpr int kDistinctMedia = 100;

struct MediaRun {
  double idle_mb = 0, sampled_mb = 0, peak_mb = 0, seconds = 0;
  std::size_t intact = 0;  // MMS delivered with an attachment of their media's bytes
};

MediaRun relay_media(int mms, int concurrency) {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  std::string bytes(kMediaBytes, '\0');
  std::mt19937_64 random(22);
  for (std::size_t at = 0; at + 8 <= bytes.size(); at += 8) {
    auto r = random();
    std::memcpy(&bytes[at], &r, 8);
  }
  std::vector<std::string> urls;
  std::vector<std::size_t> hashes;
  for (int k = 0; k < kDistinctMedia; ++k) {
    std::memcpy(bytes.data(), &k, sizeof k);
    hashes.push_back(std::hash<std::string>{}(bytes));
    urls.push_back(tw.add_media(fmt::format("MM{:032x}", k), fmt::format("ME{:032x}", k), bytes, "image/jpeg"));
  }
  Serve s(tw, inf, {{"relay", {{"inboundMedia", "attach"}, {"concurrency", concurrency}}}});
  s.ms_to_ready();
  std::this_thread::sleep_for(500ms);
  const int pid = s.child->pid();
  MediaRun run;
  run.idle_mb = rss_mb(pid);
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    for (; sampling; std::this_thread::sleep_for(10ms)) run.sampled_mb = std::max(run.sampled_mb, rss_mb(pid));
  });
  auto start = clock_type::now();
  bench::run_load({s.port, 4, 0, 60s, mms}, [&](std::int64_t i) {
    return twilio_inbound(s.port, tw.auth_token(), i, "media", kConversations, "+15559870002", urls[i % kDistinctMedia]);
  });
  while (inf.messages().size() < static_cast<std::size_t>(mms) && clock_type::now() < start + 120s) std::this_thread::sleep_for(10ms);
  run.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  sampling = false;
  sampler.join();
  run.peak_mb = rss_mb(pid, "VmHWM:");
  s.stop();
  std::set<std::int64_t> intact;
  for (const auto& d : inf.messages()) {
    auto text = d.message.value("/body/text"_json_pointer, std::string());
    auto ids = d.message.value("attachmentIds", json::array());
    if (!text.starts_with("media-") || ids.size() != 1) continue;
    auto i = std::stoll(text.substr(6));
    auto got = inf.attachment(ids[0]);
    if (got.size() == kMediaBytes && std::hash<std::string>{}(got) == hashes[static_cast<std::size_t>(i % kDistinctMedia)]) intact.insert(i);
  }
  run.intact = intact.size();
  std::fprintf(stderr, "  %d MMS, relay.concurrency %d: idle %.1f MB, peak %.1f MB (sampled every 10 ms: %.1f), %.1f s, %zu intact\n",
               mms, concurrency, run.idle_mb, run.peak_mb, run.sampled_mb, run.seconds, run.intact);
  return run;
}

// serve's resident memory while MMS of 5 MB are relayed: 100 and 300 with 8 workers (bounded:
// the same peak), 100 with one.
void media_memory() {
  std::string measured;
  for (auto [mms, concurrency] : {std::pair{100, 8}, {300, 8}, {100, 1}}) {
    auto r = relay_media(mms, concurrency);
    measured += fmt::format("{}{:.1f} → {:.1f} MB (+{:.1f}), {:.1f} s{}", measured.empty() ? "" : " / ", r.idle_mb, r.peak_mb,
                            r.peak_mb - r.idle_mb, r.seconds,
                            r.intact == static_cast<std::size_t>(mms) ? "" : fmt::format(" ({} of {} intact)", r.intact, mms));
  }
  report("resident memory relaying MMS of one 5 MB media each (attach), idle → peak (peak − idle), time: "
         "100 MMS with relay.concurrency 8 / 300 with 8 / 100 with 1",
         measured, "about concurrency × 5 MB × 2 copies (80 / 80 / 10 MB), the same for 100 and 300 MMS");
}

int bare_server() {
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kLoadConnections); };
  server.set_socket_options([](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000);
  server.Post(".*", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  int port = server.bind_to_any_port("127.0.0.1");
  std::fprintf(stderr, "listening on http://127.0.0.1:%d\n", port);
  server.listen_after_bind();
  return 0;
}

}  // namespace

constexpr const char* kUsage =
    "Usage: infinity-sms-bench [--quick]    every scenario, one Markdown table on stdout (scripts/bench)\n"
    "       infinity-sms-bench fakes        fake Twilio and Infinity until stdin closes; prints serve's config for them\n"
    "       infinity-sms-bench send PORT N TOKEN [CONNECTIONS [RATE [FIRST [NUMBERS]]]]\n"
    "                                       N signed inbound webhooks to a serve on PORT, over NUMBERS business\n"
    "                                       numbers (+15559870002, +14440000001...); prints ack latencies\n"
    "       infinity-sms-bench bare         the bare cpp-httplib handler the rates are compared with\n"
    "       infinity-sms-bench tenants      the one-tenant / 50-tenant comparison alone (its row of the table)\n"
    "       infinity-sms-bench media        serve's memory relaying MMS of 5 MB alone (its row of the table)\n";

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "bare") == 0) return bare_server();
  // send PORT N TOKEN [CONNECTIONS [RATE [FIRST [NUMBERS]]]]: N signed inbound webhooks over
  // CONNECTIONS (default 4) keep-alive connections, as fast as answered or at RATE a second,
  // numbered from FIRST, to NUMBERS business numbers (default 1; see business_number)
  // (scripts/profile, or a serve under perf); prints the ack latency percentiles.
  if (argc >= 5 && argc <= 9 && std::strcmp(argv[1], "send") == 0) {
    int port = std::atoi(argv[2]);
    int connections = argc >= 6 ? std::atoi(argv[5]) : 4;
    double per_second = argc >= 7 ? std::atof(argv[6]) : 0;
    std::int64_t first = argc >= 8 ? std::atoll(argv[7]) : 0, n = std::atoll(argv[3]);
    std::int64_t numbers = argc >= 9 ? std::max(1LL, std::atoll(argv[8])) : 1;
    auto r = bench::run_load({port, connections, per_second, 3600s, n}, [&](std::int64_t i) {
      return twilio_inbound(port, argv[4], first + i, "profile", kConversations, business_number(i, numbers));
    });
    std::fprintf(stderr, "sent %lld, %lld answered 200 in %.2f s; ack p50 / p99 / p99.9: %.2f / %.2f / %.2f ms\n",
                 static_cast<long long>(r.sent), static_cast<long long>(r.ok), r.seconds, bench::percentile(r.latency_ms, 50),
                 bench::percentile(r.latency_ms, 99), bench::percentile(r.latency_ms, 99.9));
    return r.ok == r.sent ? 0 : 1;
  }
  // fakes: fake Twilio and Infinity until stdin closes, after printing serve's configuration
  // for them (to profile serve with real deliveries, e.g. under perf).
  if (argc == 2 && std::strcmp(argv[1], "fakes") == 0) {
    fakes::FakeTwilio tw;
    fakes::FakeInfinity inf;
    std::cout << config_for(tw, inf).dump() << std::endl;
    while (std::cin.get() != EOF) {
    }
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "media") == 0) {
    media_memory();
    print_table();
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "tenants") == 0) {
    fakes::FakeTwilio tw;
    fakes::FakeInfinity inf;
    std::printf("%s\n", tenants_cost(tw, inf, 5000ms, "/api/digital").c_str());
    return 0;
  }
  bool quick = argc == 2 && std::strcmp(argv[1], "--quick") == 0;
  if (argc > 1 && !quick) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const auto seconds = quick ? 2000ms : 5000ms;
  const std::int64_t queued_target = quick ? 20000 : 100000;
  const int connections = 32;  // at a fixed rate

  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  std::fprintf(stderr, "infinity-sms-bench: %s, %d connections (%d at fixed rates), %d conversations\n",
               quick ? "quick" : "full", kLoadConnections, connections, kConversations);

  // 1. The ceiling: a bare cpp-httplib handler that only answers 200, over as many connections
  // as serve's accepted webhooks and over 32 (fewer threads cost it less): the better rate.
  char self[4096] = {};
  auto n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  double bare_rate = 0, bare_rate_32 = 0, ceiling = 0;
  {
    fakes::Child bare(std::vector<std::string>{"bare"}, {}, std::string(self));
    int port = port_from(bare, "listening on ");
    for (int c : {kLoadConnections, connections}) {
      auto r = bench::run_load({port, c, 0, seconds}, [&](std::int64_t i) {
        return twilio_inbound(port, tw.auth_token(), c * 10'000'000 + i, "bare");
      });
      (c == connections ? bare_rate_32 : bare_rate) = r.per_second();
    }
    ceiling = std::max(bare_rate, bare_rate_32);
    report(fmt::format("bare cpp-httplib handler over {} / {} connections (ceiling: the better)", kLoadConnections, connections),
           rate(bare_rate) + " / " + rate(bare_rate_32), "");
  }
  // A rate over kLoadConnections as shares of the ceiling and of the bare handler's rate over as many.
  auto of_bare = [&](double per_second) {
    return fmt::format("{} ({:.2f} of the ceiling, {:.2f} of bare over {})", rate(per_second), per_second / ceiling,
                       per_second / bare_rate, kLoadConnections);
  };

  // 2. Start to ready, and memory when idle.
  // (The default configuration: 32 threads per listener.)
  std::vector<double> starts;
  double idle_mb = 0;
  for (int i = 0; i < 5; ++i) {
    Serve s(tw, inf);
    starts.push_back(s.ms_to_ready());
    if (i == 4) {
      std::this_thread::sleep_for(500ms);
      idle_mb = rss_mb(s.child->pid());
    }
  }
  report("start to /api/ready 200 (median of 5)", fmt::format("{:.0f} ms", bench::percentile(starts, 50)), "<= 100 ms");
  report("resident memory, idle", fmt::format("{:.1f} MB", idle_mb), "<= 20 MB");

  Serve s(tw, inf, kLoadThreads);
  s.ms_to_ready();

  // 3. Accepted webhooks per second (signed, durably committed), each direction, the relay
  // delivering them meanwhile; each run's deliveries finish before the next run starts.
  const auto to_infinity = "/api/digital", to_twilio = "/2010-04-01";
  auto accepted = accept_inbound(s, tw, {0, kLoadConnections, 0, seconds}, 0, "in");
  const auto& in = accepted.load;
  report("inbound webhooks accepted", of_bare(in.per_second()), ">= 10,000/s and >= 1/3 of bare over as many");
  report("serve's CPU time / context switches per inbound webhook accepted", accepted.cost(), "");
  inf.wait_for(static_cast<std::size_t>(in.ok), 120s, to_infinity);
  // The same over 32 connections, against the bare handler's rate over 32.
  auto accepted_32 = accept_inbound(s, tw, {0, connections, 0, seconds}, 8'000'000, "in32");
  report(fmt::format("inbound webhooks accepted, {} connections", connections),
         fmt::format("{} ({:.2f} of bare over {})", rate(accepted_32.load.per_second()), accepted_32.load.per_second() / bare_rate_32,
                     connections),
         "");
  inf.wait_for(static_cast<std::size_t>(in.ok + accepted_32.load.ok), 120s, to_infinity);
  auto out = bench::run_load({s.port, kLoadConnections, 0, seconds}, [&](std::int64_t i) {
    return infinity_event(inf.connector_id(), i, "out");
  });
  report("outbound webhooks accepted", of_bare(out.per_second()), "");  // the issue sets none
  // Its backlog drains before the next runs, which it would disturb.
  tw.wait_for(static_cast<std::size_t>(out.ok), 120s, to_twilio);

  // 4. Relay throughput: backlogs queued while deliveries were blocked, drained by a fresh serve
  // with nothing else to do; one direction at a time, then both at once.
  const std::int64_t backlog = quick ? 10000 : 30000;
  {
    fakes::TempDir data;
    auto blocked = queue_backlog(tw, inf, data.path(), backlog, 5'000'000, "alone");
    report("inbound webhooks accepted, deliveries blocked (no relay work)",
           of_bare(blocked.load.per_second()) + ", " + blocked.cost(),
           "");
    auto earlier_in = inf.count(to_infinity), earlier_out = tw.count(to_twilio);
    Serve inbound_only(tw, inf, kTwilioBlocked, data.path());
    report("relay throughput, inbound (to Infinity)", relay_rate(inf, to_infinity, "alone2infinity", backlog, earlier_in), ">= 5,000/s");
    inbound_only.stop();
    Serve outbound_only(tw, inf, json::object(), data.path());  // nothing inbound is left
    report("relay throughput, outbound (to Twilio)", relay_rate(tw, to_twilio, "alone2twilio", backlog, earlier_out), ">= 5,000/s");
    outbound_only.stop();
  }
  {
    fakes::TempDir data;
    queue_backlog(tw, inf, data.path(), backlog, 6'000'000, "both");
    auto earlier_in = inf.count(to_infinity), earlier_out = tw.count(to_twilio);
    Serve both(tw, inf, json::object(), data.path());
    auto in_rate = relay_rate(inf, to_infinity, "both2infinity", backlog, earlier_in);
    auto out_rate = relay_rate(tw, to_twilio, "both2twilio", backlog, earlier_out);
    report("relay throughput, both directions at once: inbound / outbound", in_rate + " / " + out_rate, "");
    both.stop();
  }

  // 5. Ack latency at 1,000 webhooks/s, and end-to-end latency at 500/s.
  auto fixed = bench::run_load({s.port, connections, 1000, seconds}, [&](std::int64_t i) {
    return twilio_inbound(s.port, tw.auth_token(), 1'000'000 + i, "ack");
  });
  report("ack latency at 1,000/s: p50 / p99 / p99.9", latencies(fixed.latency_ms), "p99 <= 5 ms");
  inf.wait_for(static_cast<std::size_t>(in.ok + accepted_32.load.ok + fixed.ok), 120s, to_infinity);
  auto e2e_load = bench::run_load({s.port, connections, 500, seconds}, [&](std::int64_t i) {
    return twilio_inbound(s.port, tw.auth_token(), 2'000'000 + i, "e2e");
  });
  auto got = wait_deliveries(inf, to_infinity, static_cast<std::size_t>(in.ok + accepted_32.load.ok + fixed.ok + e2e_load.ok), "e2e");
  std::vector<double> e2e;
  for (const auto& [i, at] : got)
    if (i - 2'000'000 >= 0 && i - 2'000'000 < static_cast<std::int64_t>(e2e_load.started.size()))
      e2e.push_back(std::chrono::duration<double, std::milli>(at - e2e_load.started[static_cast<std::size_t>(i - 2'000'000)]).count());
  report("end-to-end relay latency at 500/s: p50 / p99",
         fmt::format("{:.2f} / {:.2f} ms", bench::percentile(e2e, 50), bench::percentile(e2e, 99)), "p50 <= 2 ms, p99 <= 20 ms");
  s.stop();

  // 6. Memory with a large backlog: Infinity unreachable, so everything stays queued. And what one
  // relay claim costs with that backlog.
  {
    Serve down(tw, inf, {{"avaya", {{"host", "http://127.0.0.1:1"}}}});
    auto queued = fill(down, tw, queued_target);
    std::this_thread::sleep_for(1s);
    report(fmt::format("resident memory with {} queued", queued), fmt::format("{:.1f} MB", rss_mb(down.child->pid())),
           "<= 100 MB with 100,000");
    auto outbox = sms::store::open_sqlite(down.data + "/outbox.db");
    if (outbox) report(fmt::format("one relay claim with {} queued in {} conversations, SQLite", queued, kBacklogConversations), claim_ms(**outbox), "");
    down.stop();
    // The same store with deliveries blocked, so that the relay stays idle: /metrics counts the
    // stored messages by state (a scan of the table) at each scrape.
    Serve idle(tw, inf, kBothBlocked, down.data);  // not ready (no credentials), but answering
    std::atomic<bool> scraping{true};
    std::thread scraper([&] {
      httplib::Client admin("127.0.0.1", idle.admin_port);
      admin.set_bearer_token_auth("bench-admin-token");
      while (scraping) {
        admin.Get("/metrics");
        for (int i = 0; i < 10 && scraping; ++i) std::this_thread::sleep_for(100ms);
      }
    });
    auto scraped = bench::run_load({idle.port, connections, 1000, seconds}, [&](std::int64_t i) {
      return twilio_inbound(idle.port, tw.auth_token(), 7'000'000 + i, "scraped");
    });
    scraping = false;
    scraper.join();
    report(fmt::format("ack latency at 1,000/s with {} stored, /metrics scraped every second: p50 / p99 / p99.9", queued),
           latencies(scraped.latency_ms), "");
    idle.stop();

    // 7. Ack latency while serve's retention purges that store (every message made finished and
    // 40 days old), in 1,000/s windows of half a second until the purge is logged; then the same
    // serve once it is over, for the ratio.
    auto finished = age_to_finished(down.data + "/outbox.db");
    if (finished < 0) throw std::runtime_error("cannot age the messages in " + down.data);
    Serve purging(tw, inf, kBothBlocked, down.data);
    std::atomic<bool> purged{false};
    std::string purge_line;
    clock_type::time_point purged_at;
    std::thread watcher([&] {
      purge_line = purging.child->wait_for_line("retention: purged", 300s).value_or("no purge logged");
      purged_at = clock_type::now();
      purged = true;
    });
    std::vector<double> during;
    std::int64_t sent = 0, failed = 0, numbered = 0;
    while (!purged) {
      auto window = bench::run_load({purging.port, connections, 1000, 500ms}, [&](std::int64_t i) {
        return twilio_inbound(purging.port, tw.auth_token(), 9'000'000 + numbered + i, "purging");
      });
      numbered += window.sent;
      sent += window.ok + window.failed;
      failed += window.failed;
      during.insert(during.end(), window.latency_ms.begin(), window.latency_ms.end());
    }
    watcher.join();
    auto after = bench::run_load({purging.port, connections, 1000, seconds}, [&](std::int64_t i) {
      return twilio_inbound(purging.port, tw.auth_token(), 9'500'000 + i, "purged");
    });
    double p99_during = bench::percentile(during, 99), p99_after = bench::percentile(after.latency_ms, 99);
    report(fmt::format("ack latency at 1,000/s while retention purges {} finished messages and their keys ({:.1f} s, {} of {} not 200): p50 / p99 / p99.9",
                       finished, std::chrono::duration<double>(purged_at - purging.start).count(), failed, sent),
           latencies(during), "");
    report("the same serve once the purge is over: p50 / p99 / p99.9 (p99 during / after)",
           fmt::format("{} ({:.2f})", latencies(after.latency_ms), p99_after > 0 ? p99_during / p99_after : 0), "");
    std::fprintf(stderr, "  (%s)\n", purge_line.c_str());
    purging.stop();
  }

  // 8. Recovery after a 10 s outage of both upstreams under 150 webhooks/s each way.
  report("backlog of a 10 s outage of both upstreams at 150 webhooks/s each way: delivered after the recovery in",
         recovery(150), "<= 10 s");

  // 9. What the opt-out register costs the replies.
  report("outbound webhooks accepted, relay delivering: no opt-out check / check, 0 opt-outs / check, 100,000 opt-outs "
         "(the last two as shares of the first)",
         opt_out_register_cost(tw, inf, seconds, 100000), "within noise (>= 0.9)");

  // 10. What configuring 50 tenants costs the accept path and the relay.
  report("inbound webhooks accepted / relayed to Infinity, and serve's CPU per webhook, serve on a CPU of its own: one tenant / "
         "50 tenants (the share; noise: a second one-tenant configuration's share)",
         tenants_cost(tw, inf, seconds, to_infinity), "share within noise");

  // 11. Memory while MMS of 5 MB are relayed.
  media_memory();

  // 12. The shared PostgreSQL store, when scripts/bench runs under scripts/with-postgres.
  if (std::getenv("INFINITY_SMS_TEST_PG_URL")) {
    {
      fakes::TestDatabase db;
      auto patch = kLoadThreads;
      patch.merge_patch({{"store", {{"url", db.url()}}}});
      Serve pg(tw, inf, patch);
      pg.ms_to_ready();
      auto earlier = inf.count(to_infinity);
      auto pg_in = bench::run_load({pg.port, kLoadConnections, 0, seconds}, [&](std::int64_t i) {
        return twilio_inbound(pg.port, tw.auth_token(), 4'000'000 + i, "pgin");
      });
      report("inbound webhooks accepted, PostgreSQL store", of_bare(pg_in.per_second()), "");
      report("relay throughput, inbound, PostgreSQL store",
             relay_rate(inf, to_infinity, "pgin", pg_in.ok, earlier), "");
      pg.stop();
    }
    fakes::TestDatabase db;
    Serve down(tw, inf, {{"avaya", {{"host", "http://127.0.0.1:1"}}}, {"store", {{"url", db.url()}}}});
    auto queued = fill(down, tw, queued_target);
    auto outbox = sms::store::open_postgres(db.url(), 1, 60s);
    if (outbox) report(fmt::format("one relay claim with {} queued in {} conversations, PostgreSQL", queued, kBacklogConversations), claim_ms(**outbox), "");
    down.stop();
  }

  print_table();
  return 0;
}
