#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace switchboard::detail {

/// Follows the BASP byte stream of one connection, frame by frame, and
/// refuses a frame whose header announces a payload larger than `max_frame`.
///
/// The guard sees every byte a connection reads *before* CAF's BASP broker
/// does: the transport calls `consume` on each chunk it has just read and
/// fails the read when it returns false, so CAF never sees (and never
/// allocates for) the oversized header.
///
/// It knows only the BASP 0.17 framing: a 32-byte header with `operation` at
/// offset 0 and `payload_len` (uint32, network byte order) at offset 4,
/// followed by `payload_len` bytes. It does not validate other header fields;
/// CAF does that. Payloads of handshake frames (server_handshake = 0,
/// client_handshake = 1) can be collected and handed to a callback, bounded
/// by `max_handshake`.
///
/// Payloads of the other frames are scanned, as they stream past, for the
/// names of the CAF builtin types whose decoding throws in CAF 0.17.6
/// (`refused_types`): a type name stands in a message's payload as text
/// (`@<>+@i32+@config_value`), and a `caf::variant` given an unknown type
/// index raises an exception inside BASP that terminates the process.
/// Switchboard never sends these types; a frame naming one is refused.
///
/// Not thread-safe: one guard per connection, used on the multiplexer thread.
class frame_guard {
public:
  /// Size of a BASP header (caf/io/basp/header.hpp, `header_size`).
  static constexpr size_t header_size = 32;

  /// Largest handshake payload the guard collects for `on_handshake`.
  static constexpr uint32_t max_handshake = 64 * 1024;

  /// BASP message types of the two handshakes.
  static constexpr uint8_t server_handshake = 0x00;
  static constexpr uint8_t client_handshake = 0x01;

  /// Why `consume` refused the stream.
  enum class refusal : uint8_t {
    none,
    /// A header announced more than `max_frame` bytes.
    oversized_frame,
    /// A handshake payload exceeded `max_handshake`.
    oversized_handshake,
    /// `on_handshake` rejected a handshake.
    handshake_rejected,
    /// A payload names a type in `refused_types`.
    refused_type,
  };

  /// The builtin types (as a payload names them, with the `+` that
  /// precedes every name in a message's type list) that CAF 0.17 cannot
  /// handle safely from a peer: `caf::config_value` and CAF's stream
  /// messages hold a `caf::variant` whose decoding throws on a bad index;
  /// a `caf::duration` with a bad unit crashes `to_string` (which CAF runs
  /// on every unexpected message it prints and drops).
  static constexpr const char* refused_types[]
    = {"+@config_value", "+@downstream_msg", "+@upstream_msg",
       "+@open_stream_msg", "+@duration"};

  /// Length of the longest name in `refused_types`.
  static constexpr size_t longest_refused_type = 17;

  /// The entry of `refused_types` that occurs in `data[0, n)`, or null.
  static const char* find_refused_type(const char* data, size_t n) noexcept;

  /// Called with the operation and the complete payload of each handshake
  /// frame; returning false refuses the stream.
  using handshake_callback
    = std::function<bool(uint8_t operation, const std::vector<char>& payload)>;

  /// A guard refusing frames above `max_frame` payload bytes. Handshake
  /// payloads are collected only when `on_handshake` is set.
  explicit frame_guard(uint64_t max_frame,
                       handshake_callback on_handshake = nullptr);

  /// Feeds the next `n` bytes read from the connection. Returns false when
  /// the stream is refused; every later call returns false too.
  [[nodiscard]] bool consume(const char* data, size_t n);

  /// Why the stream was refused (`refusal::none` while it is accepted).
  refusal refused() const noexcept {
    return refused_;
  }

  /// The payload size announced by the header that was refused.
  uint32_t refused_size() const noexcept {
    return refused_size_;
  }

  /// The type name that was refused (`refusal::refused_type`), else null.
  const char* refused_type() const noexcept {
    return refused_type_;
  }

  /// The configured limit.
  uint64_t max_frame() const noexcept {
    return max_frame_;
  }

private:
  bool on_header_complete();
  bool refuse(refusal why, uint32_t size);

  /// Scans `data[0, n)`, the next bytes of a payload, together with the
  /// end of the payload's bytes before them.
  bool scan_payload(const char* data, size_t n);

  uint64_t max_frame_;
  handshake_callback on_handshake_;
  /// Bytes of the current frame's payload still to come; 0 = in a header.
  uint64_t payload_left_ = 0;
  size_t header_pos_ = 0;
  bool collecting_ = false;
  uint8_t operation_ = 0;
  refusal refused_ = refusal::none;
  uint32_t refused_size_ = 0;
  unsigned char header_[header_size] = {};
  std::vector<char> handshake_;
  /// The last bytes of the payload scanned so far (fewer than the longest
  /// refused name), so a name split across two reads is found.
  char tail_[longest_refused_type] = {};
  size_t tail_len_ = 0;
  const char* refused_type_ = nullptr;
};

} // namespace switchboard::detail
