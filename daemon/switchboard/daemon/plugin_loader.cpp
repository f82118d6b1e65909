#include "switchboard/daemon/plugin_loader.hpp"

#include <dlfcn.h>

#include "switchboard/daemon/plugin.hpp"
#include "switchboard/error.hpp"

namespace switchboard::daemon {

plugin_context::~plugin_context() = default;

namespace {

class collecting_context final : public plugin_context {
public:
  explicit collecting_context(std::string name) : name_(std::move(name)) {
    // nop
  }

  const std::string& name() const override {
    return name_;
  }

  void add(std::string name, handler impl) override {
    routes.emplace_back(std::move(name), std::move(impl));
  }

  std::vector<std::pair<std::string, handler>> routes;

private:
  std::string name_;
};

} // namespace

caf::expected<std::vector<std::pair<std::string, handler>>>
load_plugin(const std::string& path, const std::string& route_name) {
  auto fail = [&](std::string why) {
    return make_error(error_code::bad_request,
                      "plugin '" + path + "': " + std::move(why));
  };
  auto lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    auto text = ::dlerror();
    return fail(std::string{"cannot load: "}
                + (text != nullptr ? text : "unknown error"));
  }
  auto sym = ::dlsym(lib, plugin_entry_point);
  if (sym == nullptr) {
    ::dlclose(lib);
    return fail(std::string{"lacks the entry point "} + plugin_entry_point);
  }
  collecting_context ctx{route_name};
  try {
    reinterpret_cast<plugin_init_fn>(sym)(ctx);
  } catch (const std::exception& e) {
    return fail(std::string{"its entry point threw: "} + e.what());
  } catch (...) {
    return fail("its entry point threw");
  }
  if (ctx.routes.empty())
    return fail("its entry point added no route");
  return std::move(ctx.routes);
}

} // namespace switchboard::daemon
