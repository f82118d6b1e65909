#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace switchboard::test {

/// A scratch directory for configuration files (and certificates), removed
/// with everything in it at the end of the test.
struct scratch {
  std::string dir;

  scratch() {
    char tmpl[] = "/tmp/sb-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }

  ~scratch() {
    std::string cmd = "rm -rf '" + dir + "'";
    static_cast<void>(std::system(cmd.c_str()));
  }

  std::string write(const std::string& name, const std::string& text) {
    auto path = dir + "/" + name;
    std::ofstream out{path};
    out << text;
    out.close();
    REQUIRE(out.good());
    return path;
  }
};

} // namespace switchboard::test
