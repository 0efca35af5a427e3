// Copyright 2026 The overlay Authors.

#include "core/wire/utf8.h"

#include <google/protobuf/stubs/common.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace overlay::wire {
namespace {

std::optional<size_t> BadOffset(std::string_view text) {
  std::optional<Utf8Error> error = FindInvalidUtf8(text);
  if (!error) return std::nullopt;
  return error->offset;
}

std::string Describe(std::string_view text) {
  std::optional<Utf8Error> error = FindInvalidUtf8(text);
  return error ? DescribeUtf8Error(text, *error) : "valid";
}

TEST(Utf8Test, ValidTextAtEveryBoundary) {
  for (const char* text : {
           "",
           "plain ASCII, long enough for the 8-byte fast path",
           "\x7F",  // U+007F
           "\xC2\x80",
           "\xDF\xBF",          // U+0080, U+07FF
           "\xE0\xA0\x80",      // U+0800
           "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
           "\xEE\x80\x80",      // U+E000, just above them
           "\xEF\xBF\xBF",      // U+FFFF
           "\xF0\x90\x80\x80",  // U+10000
           "\xF4\x8F\xBF\xBF",  // U+10FFFF
           "Crescent City \xE2\x80\x93 S\xC3\xA3o Paulo \xF0\x9F\x8C\xB2",
       }) {
    EXPECT_EQ(BadOffset(text), std::nullopt) << Describe(text);
  }
}

TEST(Utf8Test, NamesTheBytesAndWhy) {
  EXPECT_EQ(Describe("ab\x80"),
            "at byte 2: 0x80 (a continuation byte (0x80..0xBF) without a lead "
            "byte)");
  EXPECT_EQ(Describe("\xC0\xAF"),
            "at byte 0: 0xC0 (a byte that never appears in UTF-8 (0xC0, 0xC1, "
            "0xF5..0xFF))");
  EXPECT_EQ(Describe("x\xF5\x80\x80\x80"),
            "at byte 1: 0xF5 (a byte that never appears in UTF-8 (0xC0, 0xC1, "
            "0xF5..0xFF))");
  EXPECT_EQ(Describe("abc\xFF"),
            "at byte 3: 0xFF (a byte that never appears in UTF-8 (0xC0, 0xC1, "
            "0xF5..0xFF))");
  EXPECT_EQ(Describe("ab\xC3("),
            "at byte 2: 0xC3 0x28 (a sequence cut short by a byte that is not "
            "a continuation byte (0x80..0xBF))");
  EXPECT_EQ(Describe("\xE2\x82("),
            "at byte 0: 0xE2 0x82 0x28 (a sequence cut short by a byte that is "
            "not a continuation byte (0x80..0xBF))");
  EXPECT_EQ(Describe("abc\xE2\x82"),
            "at byte 3: 0xE2 0x82 (a sequence cut short by the end of the "
            "string)");
  EXPECT_EQ(Describe("\xE0\x80\x80"),
            "at byte 0: 0xE0 0x80 (an overlong encoding)");
  EXPECT_EQ(Describe("\xF0\x8F\xBF\xBF"),
            "at byte 0: 0xF0 0x8F (an overlong encoding)");
  EXPECT_EQ(Describe("\xED\xA0\x80"),
            "at byte 0: 0xED 0xA0 (a UTF-16 surrogate (U+D800..U+DFFF))");
  EXPECT_EQ(Describe("\xF4\x90\x80\x80"),
            "at byte 0: 0xF4 0x90 (a code point above U+10FFFF)");
}

TEST(Utf8Test, OffsetPastTheAsciiFastPath) {
  const std::string text = std::string(21, 'a') + "\xC3" + "bc";
  EXPECT_EQ(BadOffset(text), 21u);
  const std::string late =
      std::string(64, 'a') + "\xC3\xA9" + std::string(7, 'b') + "\x80";
  EXPECT_EQ(BadOffset(late), 73u);
  // A NUL is valid UTF-8 (protobuf agrees).
  EXPECT_EQ(BadOffset(std::string("a\0b", 3)), std::nullopt);
}

// The node relies on this: what passes here also passes protobuf's own
// check, so a request that passed the wire walk never fails to parse on
// UTF-8 (and the reverse: nothing protobuf accepts is refused here).
TEST(Utf8Test, AgreesWithProtobufOnShortSequences) {
  auto agree = [](const std::string& text) {
    const bool ours = !FindInvalidUtf8(text).has_value();
    const bool theirs = google::protobuf::internal::IsStructurallyValidUTF8(
        text.data(), static_cast<int>(text.size()));
    return ours == theirs;
  };
  int checked = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      std::string two = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_TRUE(agree(two)) << Describe(two);
      ++checked;
      if (a < 0xC0) continue;
      for (int c :
           {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}) {
        std::string three = two + static_cast<char>(c);
        ASSERT_TRUE(agree(three)) << Describe(three);
        for (int d : {0x00, 0x80, 0xBF, 0xC0}) {
          std::string four = three + static_cast<char>(d);
          ASSERT_TRUE(agree(four)) << Describe(four);
          ASSERT_TRUE(agree("xyz" + four + "tail")) << Describe(four);
          checked += 2;
        }
      }
    }
  }
  EXPECT_GT(checked, 100000);
}

}  // namespace
}  // namespace overlay::wire
