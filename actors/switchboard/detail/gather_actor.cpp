#include "switchboard/detail/gather_actor.hpp"


#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/error.hpp"

namespace switchboard::detail {

caf::behavior gather_actor(caf::stateful_actor<gather_state>* self,
                           reply_target to, size_t n,
                           core::broadcast_reply mode, std::string route) {
  auto& st = self->state;
  st.to = std::move(to);
  st.mode = mode;
  st.route = std::move(route);
  st.replies.resize(n);
  st.missing = n;
  auto finish = [self](auto result) {
    send_reply(self, self->context(), self->state.to, std::move(result));
    self->quit();
  };
  auto record = [self, finish](uint64_t id, caf::message value, bool ok) {
    auto& st = self->state;
    if (id == 0 || id > st.replies.size() || st.replies[id - 1])
      return;
    if (st.mode == core::broadcast_reply::first) {
      --st.missing;
      if (ok)
        return finish(std::move(value));
      st.last_error = value.get_as<caf::error>(0);
      st.replies[id - 1] = caf::message{};
      if (st.missing == 0)
        finish(st.last_error);
      return;
    }
    st.replies[id - 1] = std::move(value);
    if (--st.missing == 0) {
      std::vector<caf::message> all;
      all.reserve(st.replies.size());
      for (auto& x : st.replies)
        all.push_back(std::move(*x));
      finish(caf::make_message(std::move(all)));
    }
  };
  return {
    [record](reply_atom, uint64_t id, caf::message& value) {
      record(id, std::move(value), true);
    },
    [record](reply_atom, uint64_t id, caf::error& err) {
      record(id, caf::make_message(std::move(err)), false);
    }
  };
}

} // namespace switchboard::detail
