#include "switchboard/core/route_name.hpp"

#include <cstdint>

namespace switchboard::core {

namespace {

/// Decodes one UTF-8 sequence at `s[i]`; returns its length, or 0 if it is
/// not valid (overlong, surrogate, beyond U+10FFFF, truncated).
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  auto cont
    = [&](size_t k) { return i + k < s.size() && (byte(k) & 0xC0) == 0x80; };
  auto b0 = byte(0);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    cp = ((b0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    cp = ((b0 & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    return cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF) ? 3 : 0;
  }
  if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    cp = ((b0 & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12)
         | ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu);
    return cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0;
  }
  return 0;
}

/// Control characters and the format characters that change how text
/// around them is shown.
bool hidden(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) // C0, DEL, C1
         || cp == 0xAD                           // soft hyphen
         || cp == 0x061C                         // Arabic letter mark
         || (cp >= 0x200B && cp <= 0x200F)       // zero width, LRM, RLM
         || (cp >= 0x2028 && cp <= 0x202E)       // separators, embeddings
         || (cp >= 0x2060 && cp <= 0x206F)       // joiners, isolates
         || cp == 0xFEFF                         // BOM
         || (cp >= 0xFFF9 && cp <= 0xFFFB);      // annotation controls
}

std::string hex(uint32_t cp) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string result = "U+";
  for (int shift = cp > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4)
    result += digits[(cp >> shift) & 0xF];
  return result;
}

} // namespace

std::string route_name_problem(std::string_view name) {
  if (name.empty())
    return "a route name may not be empty";
  if (name.size() > max_route_name)
    return "a route name has at most " + std::to_string(max_route_name)
           + " bytes (this one has " + std::to_string(name.size()) + ")";
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    auto n = decode(name, i, cp);
    if (n == 0)
      return "a route name must be valid UTF-8 (bad byte at offset "
             + std::to_string(i) + ")";
    if (hidden(cp))
      return "a route name may not hold control or invisible formatting "
             "characters ("
             + hex(cp) + " at offset " + std::to_string(i) + ")";
    i += n;
  }
  return {};
}

} // namespace switchboard::core
