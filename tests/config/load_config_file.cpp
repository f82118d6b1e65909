#include "switchboard/config/node_config.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace switchboard::config;

namespace {

/// A fresh directory from `mkdtemp`, removed with the files written to it.
class temp_dir {
public:
  temp_dir() {
    char templ[] = "/tmp/switchboard-config-XXXXXX";
    REQUIRE(mkdtemp(templ) != nullptr);
    path_ = templ;
  }

  ~temp_dir() {
    for (auto& f : files_)
      unlink(f.c_str());
    for (auto& d : dirs_)
      rmdir(d.c_str());
    rmdir(path_.c_str());
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

  /// Writes `text` to `name` in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) {
    auto file = path_ + "/" + name;
    std::ofstream out{file, std::ios::binary};
    out << text;
    out.close();
    REQUIRE(out.good());
    files_.push_back(file);
    return file;
  }

  /// Creates the subdirectory `name` and returns its path.
  std::string make_dir(const std::string& name) {
    auto dir = path_ + "/" + name;
    REQUIRE(mkdir(dir.c_str(), 0700) == 0);
    dirs_.push_back(dir);
    return dir;
  }

private:
  std::string path_;
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;
};

} // namespace

TEST_CASE("a configuration file is read and parsed") {
  temp_dir dir;
  auto file = dir.write("node.toml", R"([node]
name = "from-file"
listen = "127.0.0.1:7701"
[[route]]
name = "upper"
exec = ["/usr/bin/tr", "a-z", "A-Z"]
)");
  auto result = load_config_file(file);
  CHECK(result.problems.empty());
  REQUIRE(result.config);
  CHECK(result.config->name == "from-file");
  REQUIRE(result.config->listen);
  CHECK(result.config->listen->port == 7701);
  REQUIRE(result.config->routes.size() == 1);
  CHECK(result.config->routes[0].argv
        == std::vector<std::string>{"/usr/bin/tr", "a-z", "A-Z"});
  CHECK(result.config->routes[0].position.file == file);
  CHECK(result.config->routes[0].position.line == 4);
  CHECK(result.config->routes[0].position.column == 1);
}

TEST_CASE("problems in a configuration file name the file's path") {
  temp_dir dir;
  auto file = dir.write("bad.toml", "[node]\nname = \"n\"\nlisten = \"x\"\n");
  auto result = load_config_file(file);
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.problems.size() == 1);
  CHECK(to_string(result.problems[0])
        == file + ":3:10: node.listen 'x' is not HOST:PORT (e.g. "
                  "\"127.0.0.1:7700\", port 0 = any)");
}

TEST_CASE("a missing configuration file is a problem naming its path") {
  temp_dir dir;
  auto file = dir.path() + "/missing.toml";
  auto result = load_config_file(file);
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].where.file == file);
  CHECK_THAT(result.problems[0].message, Catch::Contains("cannot read"));
  CHECK_THAT(to_string(result.problems[0]), Catch::StartsWith(file + ":"));
}

// std::ifstream opens a directory on Linux and reads nothing from it, so
// the reader parses an empty document and returns a default config.
TEST_CASE("a directory given as the configuration file is a problem") {
  temp_dir dir;
  auto sub = dir.make_dir("conf.d");
  auto result = load_config_file(sub);
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].where.file == sub);
}

TEST_CASE("an empty configuration file is a node with no routes") {
  temp_dir dir;
  auto file = dir.write("empty.toml", "");
  auto result = load_config_file(file);
  CHECK(result.problems.empty());
  REQUIRE(result.config);
  CHECK(result.config->routes.empty());
  CHECK_FALSE(result.config->listen.has_value());
}
