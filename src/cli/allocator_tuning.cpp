// A webhook makes each of serve's HTTP threads allocate and free many chunks of the same few
// sizes (cpp-httplib's header maps, strings, our JSON). glibc caches at most 7 freed chunks per
// size per thread; the rest go back to a shared arena under its lock, and malloc_consolidate
// and the arena's lock showed up as a tenth of serve's CPU. With 64 per size, serve spent
// 96-99 instead of 109-118 us of CPU per webhook at full load (docs/performance.md), at the same
// resident memory. glibc reads its tunables only at process start (there is no mallopt for
// this one), hence the re-exec; a GLIBC_TUNABLES the user set is left as it is.
#include "cli/allocator_tuning.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace sms::cli {

void tune_allocator_for_serve(char** argv) {
  if (!argv[0] || std::getenv("GLIBC_TUNABLES")) return;
  bool serve = false;
  for (char** a = argv + 1; *a; ++a) serve = serve || std::strcmp(*a, "serve") == 0;
  if (!serve) return;
  if (::setenv("GLIBC_TUNABLES", kServeTunables, 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("GLIBC_TUNABLES");  // no /proc: run untuned
}

}  // namespace sms::cli
