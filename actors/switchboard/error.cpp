#include "switchboard/error.hpp"

#include "switchboard/core/route_metrics.hpp"

#include <caf/actor_system_config.hpp>

#include "switchboard/core/route_info.hpp"
#include <caf/message.hpp>
#include <caf/make_message.hpp>

namespace switchboard {

caf::error make_error(error_code code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

std::optional<error_code> code_of(const caf::error& x) {
  if (!x || x.category() != error_category)
    return std::nullopt;
  auto code = x.code();
  if (code < static_cast<uint8_t>(core::first_error_code)
      || code > static_cast<uint8_t>(core::last_error_code))
    return std::nullopt;
  return static_cast<error_code>(code);
}

std::string message_of(const caf::error& x) {
  if (code_of(x)) {
    auto& ctx = x.context();
    if (ctx.match_elements<std::string>())
      return ctx.get_as<std::string>(0);
    return std::string{to_string(static_cast<error_code>(x.code()))};
  }
  return caf::to_string(x);
}

std::string describe(const caf::error& x) {
  if (auto code = code_of(x)) {
    std::string result{to_string(*code)};
    result += ": ";
    result += message_of(x);
    return result;
  }
  return caf::to_string(x);
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_message_type<core::route_info>("switchboard::route_info");
  cfg.add_message_type<std::vector<core::route_info>>(
    "std::vector<switchboard::route_info>");
  cfg.add_message_type<core::route_stats>("switchboard::route_stats");
  cfg.add_message_type<std::vector<core::route_stats>>(
    "std::vector<switchboard::route_stats>");
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           caf::error err{code, error_category, ctx};
                           return describe(err);
                         });
}

} // namespace switchboard

namespace switchboard::core {

caf::error make_error(error_code code) {
  return switchboard::make_error(code, std::string{to_string(code)});
}

} // namespace switchboard::core
