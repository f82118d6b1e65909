#include <catch2/catch.hpp>

#include "switchboard/core/loopback.hpp"

using switchboard::core::is_loopback;

TEST_CASE("loopback addresses and localhost count as loopback") {
  for (auto host : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1",
                    "[::1]", "localhost", "LocalHost", "::ffff:127.0.0.1"}) {
    INFO(host);
    CHECK(is_loopback(host));
  }
}

TEST_CASE("wildcards, other addresses and other names are not loopback") {
  for (auto host :
       {"0.0.0.0", "::", "::2", "10.0.0.1", "128.0.0.1", "126.255.0.1",
        "192.0.2.1", "::ffff:10.0.0.1", "localhost.example.org",
        "127.0.0.1.example.com", "example.org", "", "[]"}) {
    INFO(host);
    CHECK_FALSE(is_loopback(host));
  }
}
