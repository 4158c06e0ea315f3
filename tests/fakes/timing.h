// How closely a series of sends kept to the slots a rate gives them.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace fakes {

// Over every pair of sends i < j (times in order, slots in seconds from the first send's), how
// much less than slots[j] - slots[i] passed between them: 0 when every pair kept its distance.
// A send that arrives late (a slow HTTP call) makes no later one look early, as a gap between
// neighbours would; a rate above the slots' falls further short with every send.
inline double worst_shortfall(const std::vector<std::chrono::steady_clock::time_point>& times, const std::vector<double>& slots) {
  double worst = 0;
  for (std::size_t i = 0; i < times.size() && i < slots.size(); ++i)
    for (std::size_t j = i + 1; j < times.size() && j < slots.size(); ++j)
      worst = std::max(worst, (slots[j] - slots[i]) - std::chrono::duration<double>(times[j] - times[i]).count());
  return worst;
}

}  // namespace fakes
