#include "switchboard/detail/member_invoker.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>

#include "switchboard/error.hpp"

namespace switchboard::detail {

namespace {

class member_invoker final : public invoker {
public:
  explicit member_invoker(caf::actor member) : member_(std::move(member)) {
    // nop
  }

  invoke_result invoke(handler_context& ctx,
                       const caf::message& args) override {
    auto self = ctx.self();
    auto& route = ctx.route();
    // Ask under the call's deadline: an infinite request would keep an
    // entry in the worker's response map (and keep a retired worker alive)
    // for as long as the member stays silent.
    auto left = ctx.deadline() - self->clock().now();
    if (left <= caf::timespan::zero())
      return make_error(error_code::timeout,
                        "route '" + route
                          + "': deadline passed before the member was asked");
    ctx.depend_on(member_);
    auto reply = ctx.defer();
    // CAF 0.17 has no catch-all response handler: a response that matches
    // no typed handler arrives as `unexpected_response` carrying the
    // response itself, which is exactly the untyped reply we want.
    self->request(member_, std::chrono::duration_cast<caf::timespan>(left),
                  args)
      .then([reply](caf::message& x) mutable { reply.deliver(std::move(x)); },
            [reply, route = route](caf::error& err) mutable {
              if (err == caf::sec::unexpected_response)
                reply.deliver(std::move(err.context()));
              else if (err == caf::sec::request_timeout)
                reply.deliver(make_error(error_code::timeout,
                                         "route '" + route
                                           + "': the member actor did not "
                                             "answer before the deadline"));
              else if (err == caf::sec::request_receiver_down)
                reply.deliver(make_error(error_code::worker_down,
                                         "route '" + route
                                           + "': member actor is down"));
              else if (code_of(err))
                reply.deliver(std::move(err));
              else if (err == caf::sec::unexpected_message)
                reply.deliver(make_error(error_code::bad_request,
                                         "route '" + route
                                           + "': the member actor has no "
                                             "handler for the arguments"));
              else
                reply.deliver(make_error(error_code::handler_failed,
                                         "route '" + route
                                           + "': member actor answered "
                                           + caf::to_string(err)));
            });
    return deferred_t{};
  }

private:
  caf::actor member_;
};

} // namespace

std::unique_ptr<invoker> make_member_invoker(caf::actor member) {
  return std::make_unique<member_invoker>(std::move(member));
}

} // namespace switchboard::detail
