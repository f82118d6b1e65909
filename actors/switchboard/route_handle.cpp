#include "switchboard/route_handle.hpp"

#include "switchboard/detail/route_state.hpp"

namespace switchboard {

route_handle::route_handle(std::shared_ptr<detail::route_state> state)
  : state_(std::move(state)) {
  // nop
}

route_handle::~route_handle() = default;

route_handle::route_handle(const route_handle&) = default;

route_handle& route_handle::operator=(const route_handle&) = default;

route_handle::route_handle(route_handle&&) noexcept = default;

route_handle& route_handle::operator=(route_handle&&) noexcept = default;

const std::string& route_handle::name() const {
  static const std::string none;
  return state_ ? state_->name : none;
}

bool route_handle::valid() const {
  auto st = state_;
  while (st && st->status() == detail::route_status::removed)
    st = st->successor();
  return st && st->status() == detail::route_status::open;
}

core::route_info route_handle::info() const {
  auto st = state_;
  while (st && st->status() == detail::route_status::removed
         && st->successor())
    st = st->successor();
  return st ? st->info() : core::route_info{};
}

detail::route_state* route_handle::current(const detail::pool*& p) {
  if (!state_)
    return nullptr;
  while (state_->status() == detail::route_status::removed) {
    auto next = state_->successor();
    if (!next)
      return nullptr;
    state_ = std::move(next);
    version_ = UINT64_MAX;
  }
  if (auto v = state_->version(); v != version_) {
    pool_ = state_->snapshot();
    version_ = v;
  }
  p = pool_.get();
  return state_.get();
}

} // namespace switchboard
