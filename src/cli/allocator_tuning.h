// glibc's allocator tuning for `serve` (see allocator_tuning.cpp).
#pragma once

namespace sms::cli {

// When argv runs `serve` and GLIBC_TUNABLES is not set, re-executes this program (same pid,
// arguments and environment) with kServeTunables set; returns only when it did not.
void tune_allocator_for_serve(char** argv);

// glibc's per-thread cache keeps this many freed chunks of each size instead of 7.
inline constexpr const char* kServeTunables = "glibc.malloc.tcache_count=64";

}  // namespace sms::cli
