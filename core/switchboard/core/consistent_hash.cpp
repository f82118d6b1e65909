#include "switchboard/core/consistent_hash.hpp"

namespace switchboard::core {

namespace {

// Spreads keys that differ in few bits (small integers, similar strings)
// before they enter the jump hash.
uint64_t mix(uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

} // namespace

size_t consistent_hash::bucket(uint64_t key, size_t buckets) noexcept {
  if (buckets == 0)
    return 0;
  key = mix(key);
  int64_t b = -1;
  int64_t j = 0;
  while (j < static_cast<int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ull + 1;
    j = static_cast<int64_t>(static_cast<double>(b + 1)
                             * (static_cast<double>(1ll << 31)
                                / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<size_t>(b);
}

size_t consistent_hash::select(const pool_view& pool, uint64_t key) {
  return bucket(key, pool.size);
}

} // namespace switchboard::core
