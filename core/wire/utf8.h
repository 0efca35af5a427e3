// Copyright 2026 The overlay Authors.
//
// Strict UTF-8 validation (RFC 3629: no overlong forms, no UTF-16
// surrogates, nothing above U+10FFFF), the rule protobuf applies to proto3
// `string` fields. FindInvalidUtf8 says where the first bad sequence starts
// and why, so an error can name the exact bytes. Stateless; thread-safe.
//
//   if (auto bad = FindInvalidUtf8(text)) {
//     return absl::InvalidArgumentError(DescribeUtf8Error(text, *bad));
//   }

#ifndef OVERLAY_CORE_WIRE_UTF8_H_
#define OVERLAY_CORE_WIRE_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace overlay::wire {

struct Utf8Error {
  size_t offset = 0;        // first byte of the bad sequence
  size_t length = 0;        // bytes of it worth showing (1..4, within the text)
  const char* reason = "";  // e.g. "0x28 is not a continuation byte"
};

// nullopt if `text` is entirely valid UTF-8.
std::optional<Utf8Error> FindInvalidUtf8(std::string_view text);

// "at byte 5: 0xC3 0x28 (0xC3 starts a 2-byte sequence but 0x28 is not a
// continuation byte)"; `error` must come from FindInvalidUtf8(text).
std::string DescribeUtf8Error(std::string_view text, const Utf8Error& error);

}  // namespace overlay::wire

#endif  // OVERLAY_CORE_WIRE_UTF8_H_
