// serve runs with glibc's allocator tuned (src/cli/allocator_tuning.cpp), unless told otherwise.
#include <algorithm>
#include <fstream>
#include <iterator>

#include "cli/allocator_tuning.h"
#include "serve_fixture.h"

using namespace itest;

namespace {

// The environment the process `pid` runs with (its program's, so after any exec).
std::vector<std::string> environment_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  for (std::size_t at = 0; at < all.size();) {
    auto end = std::min(all.find('\0', at), all.size());
    out.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

}  // namespace

TEST_CASE("serve re-executes itself with glibc's per-thread cache enlarged", "[serve][allocator]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf));
  // The process we started (same pid: an exec, not a fork) now runs with the tunable.
  auto env = environment_of(s.child->pid());
  CHECK(has(env, std::string("GLIBC_TUNABLES=") + sms::cli::kServeTunables));
  CHECK(has(env, "GLIBC_TUNABLES=glibc.malloc.tcache_count=64"));
  auto r = s.client->Get("/api/health");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("serve leaves a GLIBC_TUNABLES the user set alone", "[serve][allocator]") {
  fakes::FakeTwilio tw;
  fakes::FakeInfinity inf;
  Serve s(fake_config(tw, inf), {{"GLIBC_TUNABLES", "glibc.malloc.arena_max=2"}});
  auto env = environment_of(s.child->pid());
  CHECK(has(env, "GLIBC_TUNABLES=glibc.malloc.arena_max=2"));
  CHECK_FALSE(has(env, std::string("GLIBC_TUNABLES=") + sms::cli::kServeTunables));
}
