// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_slice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/store/table.h"
#include "core/wire/chunk_codec.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

// Two tables whose unit dictionaries differ in order, as two owners' may.
Table MakeTable(const std::vector<std::string>& units, int rows, int base) {
  TableBuilder builder;
  for (int i = 0; i < rows; ++i) {
    Record r;
    r.latitude = 30 + base + i;
    r.longitude = -120;
    r.utc = 1597017600 + 3600 * (base + i);
    r.parameter = i % 2 == 0 ? "PM2.5" : "NEWGAS";
    r.concentration = base + i;
    r.unit = units[i % units.size()];
    r.raw_concentration = base + i + 0.5;
    r.aqi = base + i;
    r.category = 1 + i % 6;
    r.site_name = "site " + std::to_string(base + i);
    r.agency = "agency";
    r.aqs_id = std::to_string(1000 + base + i);
    r.full_aqs_id = "840" + r.aqs_id;
    builder.AddRecord(r);
  }
  return builder.Build();
}

std::string Encode(const Table& table) {
  std::vector<uint32_t> rows(table.num_rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<uint32_t>(i);
  v1::RecordChunk chunk;
  EncodeChunk(table, rows, &chunk);
  return chunk.SerializeAsString();
}

std::vector<Record> Decode(const std::string& bytes) {
  v1::RecordChunk chunk;
  EXPECT_TRUE(chunk.ParseFromString(bytes));
  auto records = DecodeChunk(chunk);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<Record>();
}

TEST(ConcatChunksTest, JoinsOwnersInOrderAndRemapsDictionaries) {
  Table a = MakeTable({"UG/M3", "PPB"}, 5, 0);
  Table b = MakeTable({"PPB", "PPM", "UG/M3"}, 7, 100);
  ASSERT_OK_AND_ASSIGN(std::string joined, ConcatChunks({Encode(a), Encode(b)}));
  std::vector<Record> expected = Decode(Encode(a));
  for (Record& r : Decode(Encode(b))) expected.push_back(std::move(r));
  EXPECT_EQ(Decode(joined), expected);
}

TEST(ConcatChunksTest, AnyValidWireFormIsJoinedToo) {
  // A part with a field our encoder never writes takes the general path.
  Table a = MakeTable({"UG/M3", "PPB"}, 5, 0);
  Table b = MakeTable({"PPM"}, 4, 50);
  std::string odd = Encode(b);
  odd.append("\x9a\x06\x01x", 4);  // field 99, length-delimited, "x"
  ASSERT_OK_AND_ASSIGN(std::string joined, ConcatChunks({Encode(a), odd}));
  std::vector<Record> expected = Decode(Encode(a));
  for (Record& r : Decode(Encode(b))) expected.push_back(std::move(r));
  EXPECT_EQ(Decode(joined), expected);
}

TEST(ConcatChunksTest, EmptyPartsJoin) {
  Table a = MakeTable({"UG/M3"}, 3, 0);
  Table empty = MakeTable({"UG/M3"}, 0, 0);
  ASSERT_OK_AND_ASSIGN(std::string joined,
                       ConcatChunks({Encode(empty), Encode(a), Encode(empty)}));
  EXPECT_EQ(Decode(joined), Decode(Encode(a)));
}

TEST(ConcatChunksTest, OnePartIsReturnedAsIs) {
  Table a = MakeTable({"UG/M3"}, 3, 0);
  const std::string bytes = Encode(a);
  ASSERT_OK_AND_ASSIGN(std::string joined, ConcatChunks({bytes}));
  EXPECT_EQ(joined, bytes);
}

TEST(ConcatChunksTest, CorruptPartsAreRefused) {
  Table a = MakeTable({"UG/M3"}, 3, 0);
  v1::RecordChunk bad;
  ASSERT_TRUE(bad.ParseFromString(Encode(a)));
  bad.add_site(99);  // one column longer than the others
  EXPECT_EQ(ConcatChunks({Encode(a), bad.SerializeAsString()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::RecordChunk out_of_range;
  ASSERT_TRUE(out_of_range.ParseFromString(Encode(a)));
  out_of_range.set_site(0, 42);  // no such site
  EXPECT_EQ(ConcatChunks({Encode(a), out_of_range.SerializeAsString()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConcatChunks({Encode(a), std::string("\xff\xff", 2)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SliceChunkTest, KeepsTheRangeAndRefusesOutside) {
  Table a = MakeTable({"UG/M3", "PPB"}, 9, 0);
  const std::vector<Record> all = Decode(Encode(a));
  ASSERT_OK_AND_ASSIGN(std::string cut, SliceChunk(Encode(a), 2, 4));
  EXPECT_EQ(Decode(cut),
            std::vector<Record>(all.begin() + 2, all.begin() + 6));
  EXPECT_FALSE(SliceChunk(Encode(a), 8, 2).ok());
  EXPECT_FALSE(SliceChunk(Encode(a), -1, 1).ok());
  EXPECT_FALSE(SliceChunk(Encode(a), 1, INT64_MAX).ok());
}

}  // namespace
}  // namespace overlay
