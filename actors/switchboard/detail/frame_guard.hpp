#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::detail {

/// Follows the BASP byte stream of one connection, frame by frame, and
/// refuses a frame whose header announces a payload larger than `max_frame`,
/// or whose payload could make CAF decode a type outside `allowed_types`.
///
/// The guard sees every byte a connection reads *before* CAF's BASP broker
/// does: the transport calls `consume` on each chunk it has just read and
/// fails the read when it returns false, so CAF never sees (and never
/// allocates for, never decodes) the refused frame.
///
/// It knows only the BASP 0.17 framing: a 32-byte header with `operation` at
/// offset 0 and `payload_len` (uint32, network byte order) at offset 4,
/// followed by `payload_len` bytes. It does not validate other header fields;
/// CAF does that. Payloads of handshake frames (server_handshake = 0,
/// client_handshake = 1) can be collected and handed to a callback, bounded
/// by `max_handshake`.
///
/// Every payload (handshakes included) also goes through a `type_scanner`:
/// the narrow front door. The network may make a node decode only the types
/// Switchboard's mesh protocol and BASP exchange (`allowed_types`); a frame
/// whose payload names any other type is refused (`refused_type`), and so is
/// one whose type list is longer than `max_type_list`.
///
/// Not thread-safe: one guard per connection, used on the multiplexer thread.
class frame_guard {
public:
  /// Size of a BASP header (caf/io/basp/header.hpp, `header_size`).
  static constexpr size_t header_size = 32;

  /// Largest handshake payload the guard collects for `on_handshake`.
  static constexpr uint32_t max_handshake = 64 * 1024;

  /// Longest type list a payload may hold, in bytes ("@<>+@atom+@str" is
  /// 14): room for some 800 elements in one message.
  static constexpr uint32_t max_type_list = 4096;

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
    /// A payload names a type outside `allowed_types`.
    refused_type,
    /// A payload holds a type list longer than `max_type_list`.
    oversized_type_list,
  };

  /// The names (as CAF 0.17 writes them into a message's type list) of the
  /// only types a peer may make a node decode. Builtins: atoms, integers,
  /// `bool`, `std::string`, `std::vector<std::string>`, `std::vector<char>`,
  /// `caf::unit_t`, `caf::error`, `caf::message` (its own type list is
  /// checked in turn), actor handles (`caf::actor`, and
  /// `caf::strong_actor_ptr`, which BASP's own traffic carries: a new
  /// node's ConfigServ answers `(ok, "info", strong_actor_ptr, name)`), and
  /// `caf::exit_msg` (CAF sends it between nodes for `send_exit` to a remote
  /// handle and for links; the front door traps it, tests/mesh/front_door.cpp).
  /// Switchboard's own: what `configure_mesh` and `register_error_category`
  /// register (wire requests and replies, adverts, route and peer
  /// listings). Plain values: `double`, `float` (finite only, see
  /// deserializer_bounds.cpp), timespans, timestamps, string maps and sets,
  /// UTF-16/32 strings. A node adds its own custom types (`custom_types`,
  /// `mesh_options::custom_types`). Everything else CAF knows is refused:
  /// `caf::config_value`, `settings` and the stream messages (a
  /// `caf::variant` whose decoding throws on a bad index), `caf::duration`
  /// (a bad unit crashes `to_string`), `long double`, node ids, down and
  /// group messages, the `std::vector<T>` and `stream<T>` CAF
  /// registers beside every message type, the middleman's broker messages
  /// and the rest. The fields *inside* an allowed type are decoded by its
  /// `inspect` whatever they are; none of these types holds a refused one
  /// except through a nested `caf::message` (or a node id, see
  /// `type_scanner`).
  static constexpr std::string_view allowed_types[] = {
    // CAF builtins (uniform_type_info_map.cpp, `numbered_type_names`).
    "@actor",
    "@atom",
    "@charbuf",
    "@error",
    "@exit",
    "@i8",
    "@i16",
    "@i32",
    "@i64",
    "@message",
    "@str",
    "@strong_actor_ptr",
    "@strvec",
    "@u8",
    "@u16",
    "@u32",
    "@u64",
    "@unit",
    "bool",
    // Plain values whose decoding cannot throw, allocate beyond the bytes
    // sent or (with deserializer_bounds.cpp) yield a non-finite float:
    // what route arguments commonly carry.
    "double",
    "float",
    "@timespan",
    "@timestamp",
    "@strmap",
    "@strset",
    "@u16str",
    "@u32str",
    // Switchboard (mesh.cpp `configure_mesh`, error.cpp).
    "switchboard::wire_request",
    "std::vector<switchboard::wire_request>",
    "switchboard::wire_reply",
    "std::vector<switchboard::wire_reply>",
    "switchboard::advert",
    "std::vector<switchboard::advert>",
    "switchboard::peer_stats",
    "std::vector<switchboard::peer_stats>",
    "switchboard::route_info",
    "std::vector<switchboard::route_info>",
    "switchboard::route_stats",
    "std::vector<switchboard::route_stats>",
  };

  /// Length of the longest name in `allowed_types`.
  static constexpr size_t longest_allowed_type = [] {
    size_t result = 0;
    for (auto name : allowed_types)
      result = name.size() > result ? name.size() : result;
    return result;
  }();

  /// True if `name` is in `allowed_types`.
  static bool is_allowed_type(std::string_view name) noexcept;

  /// Longest type name the guard reads; a custom name (`custom_types`) may
  /// be `max_type_name - 13` bytes, to leave room for "std::vector<...>".
  static constexpr size_t max_type_name = 256;

  /// Type names a node accepts from peers besides `allowed_types`: the
  /// custom types its routes' arguments and results carry, as registered
  /// with `add_message_type`. Each name also allows "std::vector<name>",
  /// which CAF registers beside it (never its `stream<...>`).
  class custom_types {
  public:
    custom_types() = default;

    /// Checks and takes `names`; returns what is wrong with the first bad
    /// one (empty, too long, holding "@<>" or '+', or a CAF builtin name,
    /// which starts with '@'), or an empty string.
    std::string assign(std::vector<std::string> names);

    bool contains(std::string_view name) const noexcept;

    /// Longest name `contains` can accept (0 when empty).
    size_t longest() const noexcept {
      return longest_;
    }

    const std::vector<std::string>& names() const noexcept {
      return names_;
    }

  private:
    std::vector<std::string> names_;
    size_t longest_ = 0;
  };

  /// Checks every type list in one BASP payload, fed in pieces of any size.
  ///
  /// Why every type CAF 0.17 decodes from a payload is named in a type list
  /// it sees: CAF's binary format carries no type tags except in a
  /// `caf::message`, which `message::load` (libcaf_core/src/message.cpp)
  /// reads as `begin_object`: a uint16 that must be 0, then a string (a
  /// varint length, then the bytes) that must be "@<>" (empty) or start
  /// with "@<>+"; the names between '+' signs go to
  /// `uniform_type_info_map::make_value(name)`, and each value is loaded in
  /// turn. Every other value in a payload (BASP's node ids and forwarding
  /// stack, the fields of a decoded type) has a type fixed by the code that
  /// reads it, so it is either BASP's own or inside a type named in a list.
  /// Messages nested anywhere (a `caf::error`'s context, a `@message`
  /// element, `wire_payload::other`, the error of a BASP down message) are
  /// read the same way, from the same buffer, so their lists are in the
  /// payload's bytes too.
  ///
  /// The scanner therefore does not parse the payload (it cannot know where
  /// CAF's reading is); it treats *every* occurrence of "@<>" as a possible
  /// type list. Where CAF reads a list at byte p, the bytes before p are
  /// `begin_object`'s uint16 zero and the list's length as CAF's varint (at
  /// most 5 bytes in this process, `deserializer_bounds.cpp`): its last byte
  /// below 0x80, the others 0x80 and above. So the length is determined by
  /// the bytes before p, and the scanner computes it exactly as CAF would
  /// (truncated to 32 bits). Without two zero bytes before such a varint, or
  /// with a length below 3 or past the payload's end, CAF cannot read a list
  /// at p (past the end, the string read fails and nothing is decoded); a
  /// list whose text does not start with "@<>+" is refused by
  /// `message::load` before it decodes anything. Any other
  /// list is checked name by name, and a name outside `allowed_types`
  /// (an empty one too) refuses the payload. No allowed name contains "@<>"
  /// or '+', so a list that passes holds no other list's start.
  ///
  /// One type is decoded without a name in any list: a `caf::node_id`
  /// (BASP's handshakes, routed messages and forwarding stacks, every actor
  /// handle) starts with an atom naming its implementation, and atom "uri"
  /// makes CAF decode a `caf::uri`, whose host is a `caf::variant` that
  /// throws on a bad index (in BASP, or in the transport's own handshake
  /// reading: the process ends). Switchboard's node ids are CAF's default
  /// ones, so a payload that holds the 8 bytes of that atom
  /// (`uri_node_id_tag`) anywhere is refused too.
  ///
  /// False positives are possible (user text or bytes that hold
  /// two zero bytes, a length and "@<>+" are checked as a list) and safe: the
  /// connection is closed. The scanner holds at most 7 bytes of history and one
  /// name
  /// (`longest_allowed_type` bytes); nothing is buffered.
  class type_scanner {
  public:
    /// A scanner that also accepts the names in `extra` (may be null; must
    /// outlive the scanner).
    explicit type_scanner(const custom_types* extra = nullptr) noexcept;

    /// Starts a payload of `size` bytes.
    void begin(uint64_t size) noexcept;

    /// Feeds the next `n` bytes of the payload (at most what is left of
    /// the `size` given to `begin`). Returns false when the payload is
    /// refused; every later call returns false too until `begin`.
    [[nodiscard]] bool feed(const char* data, size_t n);

    /// Why the payload was refused: `refusal::none`,
    /// `refusal::refused_type` or `refusal::oversized_type_list`.
    refusal refused() const noexcept {
      return refused_;
    }

    /// The refused name, printable (bytes outside 0x21..0x7e as `\xNN`;
    /// an overlong one cut after the longest allowed name's length + 1 and
    /// ended with "...").
    const std::string& refused_name() const noexcept {
      return refused_name_;
    }

    /// The length of the refused oversized type list.
    uint32_t refused_size() const noexcept {
      return refused_size_;
    }

  private:
    bool has_uri_node_id(const char* data, size_t n);
    bool allowed(std::string_view name) const noexcept;

    enum class state : uint8_t { idle, at, at_lt, in_list };

    bool step(unsigned char c);
    bool start_list();
    bool end_name();
    bool refuse_name(bool overlong);
    void remember(const char* data, size_t n) noexcept;

    state state_ = state::idle;
    refusal refused_ = refusal::none;
    /// Payload bytes not fed yet, the current one included.
    uint64_t left_ = 0;
    /// The last bytes before the current one (oldest first): room for a
    /// uint16 and a 5-byte varint.
    unsigned char history_[7] = {};
    size_t history_len_ = 0;
    /// At an '@': the varint before it (valid_length_) and the payload
    /// bytes from the '@' on.
    bool valid_length_ = false;
    uint32_t length_ = 0;
    uint64_t room_ = 0;
    /// In a list: bytes of it still to come (after "@<>"), and whether
    /// the first (which must be '+') is behind.
    uint32_t list_left_ = 0;
    bool first_ = true;
    const custom_types* extra_ = nullptr;
    /// The longest name worth reading: longer ones are refused at once.
    size_t longest_ = longest_allowed_type;
    char name_[max_type_name] = {};
    size_t name_len_ = 0;
    std::string refused_name_;
    uint32_t refused_size_ = 0;
  };

  /// The 8 bytes that make CAF 0.17 decode a `caf::node_id` as a
  /// `caf::uri` (`node_id::uri_data::class_id`, atom "uri", in network
  /// byte order). See `type_scanner`.
  static const char* uri_node_id_tag() noexcept;

  /// True if `type_scanner` accepts `data[0, n)` as one complete payload:
  /// exactly what a guard accepts of a frame's payload.
  static bool accepts_payload(const char* data, size_t n,
                              const custom_types* extra = nullptr);

  /// Called with the operation and the complete payload of each handshake
  /// frame; returning false refuses the stream.
  using handshake_callback
    = std::function<bool(uint8_t operation, const std::vector<char>& payload)>;

  /// A guard refusing frames above `max_frame` payload bytes. Handshake
  /// payloads are collected only when `on_handshake` is set.
  explicit frame_guard(uint64_t max_frame,
                       handshake_callback on_handshake = nullptr,
                       std::shared_ptr<const custom_types> extra = nullptr);

  /// Feeds the next `n` bytes read from the connection. Returns false when
  /// the stream is refused; every later call returns false too.
  [[nodiscard]] bool consume(const char* data, size_t n);

  /// Why the stream was refused (`refusal::none` while it is accepted).
  refusal refused() const noexcept {
    return refused_;
  }

  /// The payload size announced by the header that was refused, or the
  /// length of a refused type list.
  uint32_t refused_size() const noexcept {
    return refused_size_;
  }

  /// The type name that was refused (`refusal::refused_type`, printable as
  /// `type_scanner::refused_name`), else empty.
  const std::string& refused_type() const noexcept {
    return scanner_.refused_name();
  }

  /// The configured limit.
  uint64_t max_frame() const noexcept {
    return max_frame_;
  }

private:
  bool on_header_complete();
  bool refuse(refusal why, uint32_t size);

  uint64_t max_frame_;
  handshake_callback on_handshake_;
  std::shared_ptr<const custom_types> extra_;
  /// Bytes of the current frame's payload still to come; 0 = in a header.
  uint64_t payload_left_ = 0;
  size_t header_pos_ = 0;
  bool collecting_ = false;
  uint8_t operation_ = 0;
  refusal refused_ = refusal::none;
  uint32_t refused_size_ = 0;
  unsigned char header_[header_size] = {};
  std::vector<char> handshake_;
  type_scanner scanner_;
};

} // namespace switchboard::detail
