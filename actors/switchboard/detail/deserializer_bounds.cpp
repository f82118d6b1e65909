#include "switchboard/detail/deserializer_bounds.hpp"

#include <cstddef>
#include <cstdint>

#include <caf/binary_deserializer.hpp>
#include <caf/detail/ieee_754.hpp>
#include <caf/sec.hpp>

namespace switchboard::detail {

void bound_deserializer() noexcept {
  // nop: see the header.
}

} // namespace switchboard::detail

namespace caf {

/// Replaces libcaf_core 0.17.6's definition (libcaf_core/src/
/// binary_deserializer.cpp) for the whole process: same wire format (the
/// size as a little-endian base-128 varint of at most 32 bits), two checks
/// added.
///
/// - The varint ends within 5 bytes (CAF's loop reads on and shifts a
///   `uint32_t` by 35 bits and more).
/// - The size is at most 8 x the bytes that follow it. Every element of a
///   sequence in CAF's binary format takes at least one byte, except the
///   bits of a `std::vector<bool>`, which take one eighth, so no message
///   that serialized ever declares more; a lying size is refused before the
///   caller resizes anything. What a peer can make a node allocate is thus
///   bounded by 8 x its frame (`max_frame`).
///
/// A sequence of empty elements (`std::vector<caf::unit_t>`) larger than
/// that bound cannot be read; Switchboard's protocol has none.
error binary_deserializer::begin_sequence(size_t& list_size) {
  uint32_t x = 0;
  uint8_t low7 = 0;
  int n = 0;
  do {
    if (n == 5)
      return sec::invalid_argument;
    if (auto err = apply_impl(low7))
      return err;
    x |= static_cast<uint32_t>(low7 & 0x7F) << (7 * n);
    ++n;
  } while ((low7 & 0x80) != 0);
  if (static_cast<uint64_t>(x) > uint64_t{8} * remaining())
    return sec::end_of_stream;
  list_size = x;
  return none;
}

namespace {

/// Decodes IEEE 754 bits of CAF's wire format into `x`, refusing an
/// infinity or NaN (all exponent bits set): CAF would decode it as an
/// infinity that its own serializer then loops on for ever
/// (`detail::pack754`).
template <class Float, class Packed>
error unpack_finite(Packed bits, Float& x) {
  using trait = detail::ieee_754_trait<Float>;
  constexpr auto mantissa_bits = trait::bits - trait::expbits - 1;
  constexpr Packed exponent_mask = ((Packed{1} << trait::expbits) - 1)
                                   << mantissa_bits;
  if ((bits & exponent_mask) == exponent_mask)
    return sec::invalid_argument;
  x = detail::unpack754(bits);
  return none;
}

} // namespace

/// Replaces libcaf_core 0.17.6's definition: refuses a non-finite value.
error binary_deserializer::apply_impl(double& x) {
  uint64_t bits = 0;
  if (auto err = apply_impl(bits))
    return err;
  return unpack_finite(bits, x);
}

/// Replaces libcaf_core 0.17.6's definition: refuses a non-finite value.
error binary_deserializer::apply_impl(float& x) {
  uint32_t bits = 0;
  if (auto err = apply_impl(bits))
    return err;
  return unpack_finite(bits, x);
}

} // namespace caf
