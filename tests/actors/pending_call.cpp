#include <catch2/catch.hpp>

// A call's continuation inside the caller's pending slot: held in place
// when small, allocated when not, run and destroyed exactly once however
// often the slot's value moves.

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/message.hpp>

#include "switchboard/call.hpp"

using switchboard::detail::continuation;
using switchboard::detail::pending_call;

namespace {

/// Room for a continuation that cannot live in the slot.
class padded : public continuation {
  std::array<char, 64> pad_{};
};

/// Counts its runs in `*ran`; `*alive` counts the objects that own the
/// continuation (a moved-from one owns nothing).
template <class Base>
class counting final : public Base {
public:
  counting(int* ran, int* alive) : ran_(ran), alive_(alive) {
    ++*alive_;
  }

  counting(counting&& other) noexcept
    : ran_(std::exchange(other.ran_, nullptr)),
      alive_(std::exchange(other.alive_, nullptr)) {
    // nop
  }

  ~counting() override {
    if (alive_ != nullptr)
      --*alive_;
  }

  bool on_value(caf::message&) override {
    ++*ran_;
    return true;
  }

  void on_error(caf::error&) override {
    ++*ran_;
  }

  std::string expects() const override {
    return "()";
  }

  void move_to(void* dst) noexcept override {
    new (dst) counting(std::move(*this));
  }

private:
  int* ran_;
  int* alive_;
};

using small = counting<continuation>;
using large = counting<padded>;

template <class Impl>
void moves_keep_one_owner(bool expect_in_place) {
  int ran_count = 0;
  int alive_count = 0;
  int* ran = &ran_count;
  int* alive = &alive_count;
  {
    auto pc = pending_call::make<Impl>(ran, alive);
    pc.route = 7;
    CHECK(pc.in_place() == expect_in_place);
    CHECK(*alive == 1);
    // Through a move, a move assignment, an optional and a growing vector.
    pending_call moved{std::move(pc)};
    CHECK(pc.then() == nullptr);
    pending_call assigned;
    assigned = std::move(moved);
    std::optional<pending_call> slot{std::move(assigned)};
    std::vector<pending_call> many;
    many.push_back(std::move(*slot));
    for (int i = 0; i < 20; ++i)
      many.push_back(pending_call::make<Impl>(ran, alive));
    CHECK(*alive == 21);
    CHECK(many.front().route == 7);
    caf::message reply;
    REQUIRE(many.front().then() != nullptr);
    CHECK(many.front().then()->on_value(reply));
    caf::error err;
    many.back().then()->on_error(err);
    CHECK(*ran == 2);
    // Assigning over a held continuation destroys the old one.
    many[1] = pending_call::make<Impl>(ran, alive);
    CHECK(*alive == 21);
  }
  CHECK(*alive == 0);
  CHECK(*ran == 2);
}

} // namespace

TEST_CASE("a small continuation lives in its pending slot and runs once "
          "after any number of moves") {
  moves_keep_one_owner<small>(true);
}

TEST_CASE("a continuation too large for the slot is allocated and runs once "
          "after any number of moves") {
  moves_keep_one_owner<large>(false);
}

TEST_CASE("the continuation then makes for two lambdas capturing a pointer "
          "each fits in the slot") {
  int* p = nullptr;
  auto f = [p](int32_t) { (void)p; };
  auto g = [p](caf::error&) { (void)p; };
  struct two_lambdas : continuation {
    decltype(f) a;
    decltype(g) b;
  };
  CHECK(sizeof(two_lambdas) <= pending_call::inline_size);
  CHECK(sizeof(small) <= pending_call::inline_size);
  CHECK(sizeof(large) > pending_call::inline_size);
}
