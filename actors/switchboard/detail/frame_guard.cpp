#include "switchboard/detail/frame_guard.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace switchboard::detail {

frame_guard::frame_guard(uint64_t max_frame, handshake_callback on_handshake)
  : max_frame_(max_frame), on_handshake_(std::move(on_handshake)) {
  // nop
}

bool frame_guard::consume(const char* data, size_t n) {
  if (refused_ != refusal::none)
    return false;
  while (n > 0) {
    if (payload_left_ > 0) {
      // Hot path: payload bytes only count down, unless a handshake is
      // being collected.
      auto take = static_cast<size_t>(std::min<uint64_t>(n, payload_left_));
      if (collecting_)
        handshake_.insert(handshake_.end(), data, data + take);
      else if (!scan_payload(data, take))
        return false;
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
  auto handshake
    = operation_ == server_handshake || operation_ == client_handshake;
  if (!handshake || !on_handshake_) {
    payload_left_ = len;
    tail_len_ = 0;
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

const char* frame_guard::find_refused_type(const char* data,
                                           size_t n) noexcept {
  auto end = data + n;
  for (auto i = data; i != end;) {
    auto at = static_cast<const char*>(
      std::memchr(i, '@', static_cast<size_t>(end - i)));
    if (at == nullptr)
      return nullptr;
    for (auto name : refused_types) {
      auto len = std::strlen(name);
      // The name starts with '+' one byte before the '@'.
      if (at > data && static_cast<size_t>(end - at) >= len - 1
          && std::memcmp(at - 1, name, len) == 0)
        return name;
    }
    i = at + 1;
  }
  return nullptr;
}

bool frame_guard::scan_payload(const char* data, size_t n) {
  // A name split between the previous bytes and these: scan the seam.
  if (tail_len_ > 0) {
    char seam[2 * longest_refused_type];
    auto head = std::min(n, longest_refused_type - 1);
    std::memcpy(seam, tail_, tail_len_);
    std::memcpy(seam + tail_len_, data, head);
    if (auto name = find_refused_type(seam, tail_len_ + head)) {
      refused_type_ = name;
      return refuse(refusal::refused_type, 0);
    }
  }
  if (auto name = find_refused_type(data, n)) {
    refused_type_ = name;
    return refuse(refusal::refused_type, 0);
  }
  // Keep the payload's last bytes (at most one short of the longest name)
  // for the next seam.
  constexpr auto max_tail = longest_refused_type - 1;
  auto keep = std::min(n, max_tail);
  char joined[2 * longest_refused_type];
  std::memcpy(joined, tail_, tail_len_);
  std::memcpy(joined + tail_len_, data + n - keep, keep);
  auto total = tail_len_ + keep;
  auto start = total > max_tail ? total - max_tail : 0;
  tail_len_ = total - start;
  std::memcpy(tail_, joined + start, tail_len_);
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
