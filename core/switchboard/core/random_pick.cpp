#include "switchboard/core/random_pick.hpp"

#include <random>

namespace switchboard::core {

namespace {

uint64_t next_random() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    uint64_t seed = (uint64_t{rd()} << 32) ^ rd();
    return seed == 0 ? 0x9E3779B97F4A7C15ull : seed;
  }();
  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;
}

} // namespace

size_t random_pick::select(const pool_view& pool, uint64_t) {
  return static_cast<size_t>(next_random() % pool.size);
}

} // namespace switchboard::core
