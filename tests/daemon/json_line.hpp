#pragma once

// A minimal checker for the daemon's JSON log lines: one flat object per
// line whose values are strings, numbers, booleans or null. Enough to
// refuse anything else; not a general JSON parser.

#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::test {

namespace detail {

struct json_cursor {
  std::string_view text;
  size_t at = 0;

  void skip_space() {
    while (at < text.size()
           && (text[at] == ' ' || text[at] == '\t' || text[at] == '\r'))
      ++at;
  }

  bool take(char c) {
    skip_space();
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  }

  bool hex4() {
    for (int i = 0; i < 4; ++i, ++at)
      if (at >= text.size()
          || !std::isxdigit(static_cast<unsigned char>(text[at])))
        return false;
    return true;
  }

  /// A string after its opening quote, unescaped (\u escapes become '?').
  std::optional<std::string> string_rest() {
    std::string result;
    while (at < text.size()) {
      auto c = text[at++];
      if (c == '"')
        return result;
      if (static_cast<unsigned char>(c) < 0x20)
        return std::nullopt; // raw control characters are not JSON
      if (c != '\\') {
        result += c;
        continue;
      }
      if (at >= text.size())
        return std::nullopt;
      switch (text[at++]) {
      case '"':
        result += '"';
        break;
      case '\\':
        result += '\\';
        break;
      case '/':
        result += '/';
        break;
      case 'b':
        result += '\b';
        break;
      case 'f':
        result += '\f';
        break;
      case 'n':
        result += '\n';
        break;
      case 'r':
        result += '\r';
        break;
      case 't':
        result += '\t';
        break;
      case 'u':
        if (!hex4())
          return std::nullopt;
        result += '?';
        break;
      default:
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  bool digits() {
    auto from = at;
    while (at < text.size()
           && std::isdigit(static_cast<unsigned char>(text[at])))
      ++at;
    return at > from;
  }

  /// A number, `true`, `false` or `null`, as written.
  std::optional<std::string> literal() {
    auto from = at;
    for (std::string_view word : {"true", "false", "null"})
      if (text.substr(at, word.size()) == word) {
        at += word.size();
        return std::string{word};
      }
    if (at < text.size() && text[at] == '-')
      ++at;
    if (!digits())
      return std::nullopt;
    if (at < text.size() && text[at] == '.' && (++at, !digits()))
      return std::nullopt;
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
      ++at;
      if (at < text.size() && (text[at] == '+' || text[at] == '-'))
        ++at;
      if (!digits())
        return std::nullopt;
    }
    return std::string{text.substr(from, at - from)};
  }
};

} // namespace detail

/// The members of `line` if it is exactly one flat JSON object (strings
/// unescaped, other values as written, no key twice); nothing otherwise.
inline std::optional<std::map<std::string, std::string>>
parse_json_object(std::string_view line) {
  detail::json_cursor in{line};
  std::map<std::string, std::string> result;
  if (!in.take('{'))
    return std::nullopt;
  if (!in.take('}')) {
    for (;;) {
      if (!in.take('"'))
        return std::nullopt;
      auto key = in.string_rest();
      if (!key || !in.take(':'))
        return std::nullopt;
      in.skip_space();
      auto value = in.take('"') ? in.string_rest() : in.literal();
      if (!value || !result.emplace(*key, *value).second)
        return std::nullopt;
      if (in.take('}'))
        break;
      if (!in.take(','))
        return std::nullopt;
    }
  }
  in.skip_space();
  if (in.at != line.size())
    return std::nullopt;
  return result;
}

} // namespace switchboard::test
