// Copyright 2026 The overlay Authors.

#include "core/wire/utf8.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace overlay::wire {
namespace {

constexpr char kStrayContinuation[] =
    "a continuation byte (0x80..0xBF) without a lead byte";
constexpr char kNeverValid[] =
    "a byte that never appears in UTF-8 (0xC0, 0xC1, 0xF5..0xFF)";
constexpr char kTruncated[] = "a sequence cut short by the end of the string";
constexpr char kBadContinuation[] =
    "a sequence cut short by a byte that is not a continuation byte "
    "(0x80..0xBF)";
constexpr char kOverlong[] = "an overlong encoding";
constexpr char kSurrogate[] = "a UTF-16 surrogate (U+D800..U+DFFF)";
constexpr char kTooLarge[] = "a code point above U+10FFFF";

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::optional<Utf8Error> FindInvalidUtf8(std::string_view text) {
  const auto* const begin = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    // ASCII runs, 8 bytes at a time.
    while (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, begin + i, sizeof(word));
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= size) break;
    const unsigned char lead = begin[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t need;                         // bytes in the sequence
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    const char* second_reason = kBadContinuation;
    if (lead < 0xC0) {
      return Utf8Error{i, 1, kStrayContinuation};
    } else if (lead < 0xC2) {
      return Utf8Error{i, 1, kNeverValid};
    } else if (lead < 0xE0) {
      need = 2;
    } else if (lead < 0xF0) {
      need = 3;
      if (lead == 0xE0) {
        lo = 0xA0;
        second_reason = kOverlong;
      } else if (lead == 0xED) {
        hi = 0x9F;
        second_reason = kSurrogate;
      }
    } else if (lead < 0xF5) {
      need = 4;
      if (lead == 0xF0) {
        lo = 0x90;
        second_reason = kOverlong;
      } else if (lead == 0xF4) {
        hi = 0x8F;
        second_reason = kTooLarge;
      }
    } else {
      return Utf8Error{i, 1, kNeverValid};
    }
    for (size_t k = 1; k < need; ++k) {
      if (i + k >= size) return Utf8Error{i, size - i, kTruncated};
      const unsigned char c = begin[i + k];
      if (!IsContinuation(c)) return Utf8Error{i, k + 1, kBadContinuation};
      if (k == 1 && (c < lo || c > hi)) {
        return Utf8Error{i, 2, second_reason};
      }
    }
    i += need;
  }
  return std::nullopt;
}

std::string DescribeUtf8Error(std::string_view text, const Utf8Error& error) {
  std::string out = "at byte " + std::to_string(error.offset) + ":";
  for (size_t k = 0; k < error.length && error.offset + k < text.size(); ++k) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), " 0x%02X",
                  static_cast<unsigned char>(text[error.offset + k]));
    out += hex;
  }
  out += " (";
  out += error.reason;
  out += ")";
  return out;
}

}  // namespace overlay::wire
