#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "switchboard/core/name_pool.hpp"

using switchboard::core::name_pool;

TEST_CASE("name_pool gives one id to every use of a name") {
  name_pool pool;
  auto a = pool.acquire("alpha");
  auto b = pool.acquire("beta");
  CHECK(a != b);
  CHECK(pool.acquire("alpha") == a);
  CHECK(pool.acquire(std::string{"beta"}) == b);
  CHECK(pool[a] == "alpha");
  CHECK(pool[b] == "beta");
  CHECK(pool.size() == 2);
  CHECK(pool.idle() == 0);
}

TEST_CASE("name_pool keeps a name until its last use is released") {
  name_pool pool;
  auto a = pool.acquire("alpha");
  pool.acquire("alpha");
  pool.release(a);
  CHECK(pool.idle() == 0);
  CHECK(pool[a] == "alpha");
  pool.release(a);
  CHECK(pool.idle() == 1);
  // An idle name comes back under its old id.
  CHECK(pool.acquire("alpha") == a);
  CHECK(pool.idle() == 0);
}

TEST_CASE("name_pool drops idle names once they outnumber 64 and the names in "
          "use") {
  name_pool pool;
  std::vector<uint32_t> busy;
  for (int i = 0; i < 100; ++i)
    busy.push_back(pool.acquire("busy" + std::to_string(i)));
  for (int i = 0; i < 100; ++i)
    pool.release(pool.acquire("idle" + std::to_string(i)));
  // 100 idle names do not outnumber 100 in use: nothing dropped yet.
  CHECK(pool.size() == 200);
  CHECK(pool.idle() == 100);
  pool.release(pool.acquire("one more"));
  CHECK(pool.size() == 100);
  CHECK(pool.idle() == 0);
  for (int i = 0; i < 100; ++i)
    CHECK(pool[busy[i]] == "busy" + std::to_string(i));
}

TEST_CASE("name_pool reuses the ids of dropped names") {
  name_pool pool;
  for (int i = 0; i < 65; ++i)
    pool.release(pool.acquire("n" + std::to_string(i)));
  CHECK(pool.size() == 0);
  // Ids 0..64 are free again; a new name takes one of them.
  auto id = pool.acquire("fresh");
  CHECK(id < 65);
  CHECK(pool[id] == "fresh");
}

TEST_CASE("name_pool stays bounded when every call names a new route") {
  name_pool pool;
  auto kept = pool.acquire("kept");
  for (int i = 0; i < 10000; ++i)
    pool.release(pool.acquire("route" + std::to_string(i)));
  CHECK(pool.size() <= 66);
  CHECK(pool[kept] == "kept");
}
