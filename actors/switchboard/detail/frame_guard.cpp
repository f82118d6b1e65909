#include "switchboard/detail/frame_guard.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include <caf/atom.hpp>

namespace switchboard::detail {

// -- allowlist ----------------------------------------------------------------

bool frame_guard::is_allowed_type(std::string_view name) noexcept {
  return std::find(std::begin(allowed_types), std::end(allowed_types), name)
         != std::end(allowed_types);
}

std::string frame_guard::custom_types::assign(std::vector<std::string> names) {
  size_t longest = 0;
  for (auto& name : names) {
    auto quoted = "custom type '" + name + "'";
    if (name.empty())
      return "a custom type name is empty";
    if (name.size() > max_type_name - 13)
      return quoted + " is longer than "
             + std::to_string(max_type_name - 13) + " bytes";
    if (name.find("@<>") != std::string::npos
        || name.find('+') != std::string::npos)
      return quoted + " holds \"@<>\" or '+', which CAF's type lists use";
    if (name.front() == '@' || name == "bool" || name == "double"
        || name == "float")
      return quoted + " is a CAF builtin name: those the mesh accepts are "
                      "allowed already, the others never";
    longest = std::max(longest, name.size() + 13);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  names_ = std::move(names);
  longest_ = longest;
  return {};
}

bool frame_guard::custom_types::contains(std::string_view name) const noexcept {
  constexpr std::string_view prefix = "std::vector<";
  if (name.size() > prefix.size() + 1 && name.substr(0, prefix.size()) == prefix
      && name.back() == '>')
    name = name.substr(prefix.size(), name.size() - prefix.size() - 1);
  return std::binary_search(names_.begin(), names_.end(), name);
}

// -- type_scanner -------------------------------------------------------------

namespace {

/// `node_id::uri_data::class_id` as CAF's binary serializer writes it: an
/// atom's uint64 in network byte order.
struct uri_tag {
  char bytes[8];
  constexpr uri_tag() : bytes() {
    auto x = static_cast<uint64_t>(caf::atom("uri"));
    for (int i = 7; i >= 0; --i) {
      bytes[i] = static_cast<char>(x & 0xFF);
      x >>= 8;
    }
  }
};

constexpr uri_tag uri_node_tag;

} // namespace

const char* frame_guard::uri_node_id_tag() noexcept {
  return uri_node_tag.bytes;
}

frame_guard::type_scanner::type_scanner(const custom_types* extra) noexcept
  : extra_(extra) {
  if (extra_ != nullptr)
    longest_ = std::min(max_type_name,
                        std::max(longest_allowed_type, extra_->longest()));
}

bool frame_guard::type_scanner::allowed(std::string_view name) const noexcept {
  return is_allowed_type(name) || (extra_ != nullptr && extra_->contains(name));
}

void frame_guard::type_scanner::begin(uint64_t size) noexcept {
  state_ = state::idle;
  refused_ = refusal::none;
  left_ = size;
  history_len_ = 0;
  name_len_ = 0;
}

bool frame_guard::type_scanner::feed(const char* data, size_t n) {
  if (refused_ != refusal::none)
    return false;
  if (has_uri_node_id(data, n))
    return false;
  auto end = data + n;
  auto i = data;
  while (i != end) {
    if (state_ == state::idle) {
      // Hot path: nothing can start before the next '@'.
      auto at = static_cast<const char*>(
        std::memchr(i, '@', static_cast<size_t>(end - i)));
      auto skip = static_cast<size_t>((at != nullptr ? at : end) - i);
      remember(i, skip);
      left_ -= skip;
      i += skip;
      if (at == nullptr)
        break;
    }
    if (!step(static_cast<unsigned char>(*i)))
      return false;
    remember(i, 1);
    --left_;
    ++i;
  }
  return true;
}

bool frame_guard::type_scanner::has_uri_node_id(const char* data, size_t n) {
  constexpr size_t tag_size = sizeof(uri_node_tag.bytes);
  auto tag = uri_node_tag.bytes;
  // The tag split between the bytes before `data` and `data` itself.
  char seam[2 * tag_size];
  std::memcpy(seam, history_, history_len_);
  auto head = std::min(n, tag_size - 1);
  std::memcpy(seam + history_len_, data, head);
  if (memmem(seam, history_len_ + head, tag, tag_size) != nullptr
      || memmem(data, n, tag, tag_size) != nullptr) {
    refused_name_ = "caf::uri (a node id)";
    refused_ = refusal::refused_type;
    return true;
  }
  return false;
}

bool frame_guard::type_scanner::step(unsigned char c) {
  switch (state_) {
  case state::idle:
    if (c == '@') {
      // The length CAF reads if a type list starts here: `begin_object`'s
      // uint16 zero, then the varint (at most 5 bytes, its last below 0x80,
      // the others 0x80 and above), then the string's bytes.
      valid_length_ = false;
      if (history_len_ > 0 && (history_[history_len_ - 1] & 0x80) == 0) {
        auto first = history_len_ - 1;
        while (first > 0 && (history_[first - 1] & 0x80) != 0)
          --first;
        valid_length_ = history_len_ - first <= 5 && first >= 2
                        && history_[first - 1] == 0 && history_[first - 2] == 0;
        length_ = 0;
        for (auto k = first; k < history_len_; ++k)
          length_ |= static_cast<uint32_t>(history_[k] & 0x7F)
                     << (7 * (k - first));
      }
      room_ = left_;
      state_ = state::at;
    }
    return true;
  case state::at:
    if (c == '<') {
      state_ = state::at_lt;
      return true;
    }
    state_ = state::idle;
    return step(c);
  case state::at_lt:
    if (c == '>')
      return start_list();
    state_ = state::idle;
    return step(c);
  case state::in_list:
    break;
  }
  if (first_) {
    first_ = false;
    if (c != '+') {
      // `message::load` refuses such a list before decoding anything.
      state_ = state::idle;
      return step(c);
    }
  } else if (c == '+') {
    if (!end_name())
      return false;
  } else {
    if (name_len_ == longest_) {
      // Longer than any allowed name: refused without waiting for its end.
      refused_name_.assign(name_, name_len_);
      refused_name_.push_back(static_cast<char>(c));
      return refuse_name(true);
    }
    name_[name_len_++] = static_cast<char>(c);
  }
  if (--list_left_ == 0) {
    state_ = state::idle;
    return end_name();
  }
  return true;
}

bool frame_guard::type_scanner::start_list() {
  state_ = state::idle;
  // Not a list CAF can read: no varint before the '@', a string too short
  // to hold "@<>", or one past the payload's end.
  if (!valid_length_ || length_ < 3 || length_ > room_)
    return true;
  if (length_ > max_type_list) {
    refused_ = refusal::oversized_type_list;
    refused_size_ = length_;
    refused_name_.clear();
    return false;
  }
  if (length_ == 3)
    return true; // "@<>": the empty message.
  state_ = state::in_list;
  list_left_ = length_ - 3;
  first_ = true;
  name_len_ = 0;
  return true;
}

bool frame_guard::type_scanner::end_name() {
  std::string_view name{name_, name_len_};
  name_len_ = 0;
  if (allowed(name))
    return true;
  refused_name_.assign(name);
  return refuse_name(false);
}

bool frame_guard::type_scanner::refuse_name(bool overlong) {
  std::string printable;
  for (auto ch : refused_name_) {
    auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7F) {
      printable.push_back(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      printable += buf;
    }
  }
  if (overlong)
    printable += "...";
  if (printable.empty())
    printable = "(empty name)";
  refused_name_ = std::move(printable);
  refused_ = refusal::refused_type;
  return false;
}

void frame_guard::type_scanner::remember(const char* data, size_t n) noexcept {
  constexpr auto cap = sizeof(history_);
  if (n >= cap) {
    std::memcpy(history_, data + n - cap, cap);
    history_len_ = cap;
    return;
  }
  auto keep = std::min(history_len_, cap - n);
  std::memmove(history_, history_ + history_len_ - keep, keep);
  std::memcpy(history_ + keep, data, n);
  history_len_ = keep + n;
}

bool frame_guard::accepts_payload(const char* data, size_t n,
                                  const custom_types* extra) {
  type_scanner scanner{extra};
  scanner.begin(n);
  return scanner.feed(data, n);
}

// -- frame_guard --------------------------------------------------------------

frame_guard::frame_guard(uint64_t max_frame, handshake_callback on_handshake,
                         std::shared_ptr<const custom_types> extra)
  : max_frame_(max_frame),
    on_handshake_(std::move(on_handshake)),
    extra_(std::move(extra)),
    scanner_(extra_.get()) {
  // nop
}

bool frame_guard::consume(const char* data, size_t n) {
  if (refused_ != refusal::none)
    return false;
  while (n > 0) {
    if (payload_left_ > 0) {
      auto take = static_cast<size_t>(std::min<uint64_t>(n, payload_left_));
      if (!scanner_.feed(data, take))
        return refuse(scanner_.refused(), scanner_.refused_size());
      if (collecting_)
        handshake_.insert(handshake_.end(), data, data + take);
      payload_left_ -= take;
      data += take;
      n -= take;
      if (payload_left_ == 0 && collecting_) {
        collecting_ = false;
        if (!on_handshake_(operation_, handshake_))
          return refuse(refusal::handshake_rejected, 0);
        handshake_.clear();
      }
      continue;
    }
    auto take = std::min(n, header_size - header_pos_);
    std::memcpy(header_ + header_pos_, data, take);
    header_pos_ += take;
    data += take;
    n -= take;
    if (header_pos_ == header_size && !on_header_complete())
      return false;
  }
  return true;
}

bool frame_guard::on_header_complete() {
  header_pos_ = 0;
  operation_ = header_[0];
  auto len = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16)
             | (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
  if (len > max_frame_)
    return refuse(refusal::oversized_frame, len);
  scanner_.begin(len);
  auto handshake
    = operation_ == server_handshake || operation_ == client_handshake;
  if (!handshake || !on_handshake_) {
    payload_left_ = len;
    return true;
  }
  if (len > max_handshake)
    return refuse(refusal::oversized_handshake, len);
  if (len == 0) {
    // CAF rejects an empty handshake itself; the callback decides first.
    handshake_.clear();
    if (!on_handshake_(operation_, handshake_))
      return refuse(refusal::handshake_rejected, 0);
    return true;
  }
  collecting_ = true;
  handshake_.clear();
  handshake_.reserve(len);
  payload_left_ = len;
  return true;
}

bool frame_guard::refuse(refusal why, uint32_t size) {
  refused_ = why;
  refused_size_ = size;
  handshake_.clear();
  handshake_.shrink_to_fit();
  return false;
}

} // namespace switchboard::detail
