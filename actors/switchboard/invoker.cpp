#include "switchboard/invoker.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/type_nr.hpp>

#include "switchboard/handler.hpp"

namespace switchboard {

namespace {

std::string demangle(const char* name) {
  int status = 0;
  auto ptr = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (ptr == nullptr)
    return name;
  std::string result{ptr};
  std::free(ptr);
  return result;
}

/// Maps CAF's names of builtin types ("@str", "@i32") to C++ spellings.
std::string builtin_name(const char* caf_name) {
  static const std::pair<const char*, const char*> names[] = {
    {"@str", "std::string"}, {"@i8", "int8_t"},     {"@i16", "int16_t"},
    {"@i32", "int32_t"},     {"@i64", "int64_t"},   {"@u8", "uint8_t"},
    {"@u16", "uint16_t"},    {"@u32", "uint32_t"},  {"@u64", "uint64_t"},
    {"@message", "caf::message"}, {"@error", "caf::error"},
    {"@atom", "caf::atom_value"}, {"@charbuf", "std::vector<char>"},
    {"@strmap", "std::map<std::string, std::string>"},
    {"@u16str", "std::u16string"}, {"@u32str", "std::u32string"},
    {"@timespan", "caf::timespan"}, {"@timestamp", "caf::timestamp"},
    {"@actor", "caf::actor"}, {"@addr", "caf::actor_addr"},
  };
  for (auto& [from, to] : names)
    if (std::strcmp(from, caf_name) == 0)
      return to;
  return caf_name;
}

template <class T>
bool is(const std::type_info& x) {
  return x == typeid(T);
}

} // namespace

std::string type_name(const std::type_info& x) {
  if (is<std::string>(x))
    return "std::string";
  if (is<int8_t>(x))
    return "int8_t";
  if (is<int16_t>(x))
    return "int16_t";
  if (is<int32_t>(x))
    return "int32_t";
  if (is<int64_t>(x))
    return "int64_t";
  if (is<uint8_t>(x))
    return "uint8_t";
  if (is<uint16_t>(x))
    return "uint16_t";
  if (is<uint32_t>(x))
    return "uint32_t";
  if (is<uint64_t>(x))
    return "uint64_t";
  if (is<std::vector<char>>(x))
    return "std::vector<char>";
  return demangle(x.name());
}

std::string signature_of(const caf::message& x) {
  std::string result = "(";
  for (size_t i = 0; i < x.size(); ++i) {
    if (i > 0)
      result += ", ";
    auto rtti = x.type(i);
    if (rtti.second != nullptr)
      result += type_name(*rtti.second);
    else if (rtti.first > 0)
      result += builtin_name(caf::numbered_type_names[rtti.first - 1]);
    else
      result += "?";
  }
  result += ")";
  return result;
}

namespace detail {

std::string mismatch_text(const std::string& route, const std::string& expected,
                          const caf::message& args) {
  return "route '" + route + "' expects " + expected + ", got "
         + signature_of(args);
}

namespace {

class behavior_invoker final : public invoker {
public:
  using factory_type = std::function<caf::behavior(caf::event_based_actor*)>;

  explicit behavior_invoker(factory_type factory)
    : factory_(std::move(factory)) {
    // nop
  }

  invoke_result invoke(handler_context& ctx,
                       const caf::message& args) override {
    if (!bhvr_)
      bhvr_ = factory_(ctx.self());
    auto copy = args;
    auto res = bhvr_(copy);
    if (!res)
      return invoke_result{make_error(
        error_code::bad_request,
        "route '" + ctx.route() + "' has no handler for "
          + signature_of(args))};
    if (res->match_elements<caf::error>())
      return invoke_result{res->get_as<caf::error>(0)};
    return std::move(*res);
  }

private:
  factory_type factory_;
  caf::behavior bhvr_;
};

} // namespace

} // namespace detail

handler behavior_factory(
  std::function<caf::behavior(caf::event_based_actor*)> factory) {
  return handler{[factory]() -> std::unique_ptr<invoker> {
                   return std::make_unique<detail::behavior_invoker>(factory);
                 },
                 "behavior"};
}

handler actors(std::vector<caf::actor> members) {
  return handler::from_actors(std::move(members));
}

} // namespace switchboard
