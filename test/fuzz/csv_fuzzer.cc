// Copyright 2026 The overlay Authors.
//
// The CSV line parser of the loader (ParseCsvBuffer, core/store/
// csv_loader.h) over one arbitrary file. Checks that every non-empty line
// is either a row or counted malformed, and that every row survives the
// chunk codec exactly (EncodeChunk, then DecodeChunk equals the table's
// record, a missing coordinate being NaN on both sides).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/store/csv_loader.h"
#include "core/store/table.h"
#include "core/wire/chunk_codec.h"
#include "glog/logging.h"
#include "protos/overlay.pb.h"

namespace {

// Lines the loader looks at: split at LF, one CR stripped, empty skipped,
// after a UTF-8 byte-order mark.
int64_t NonEmptyLines(std::string_view buffer) {
  if (buffer.substr(0, 3) == "\xEF\xBB\xBF") buffer.remove_prefix(3);
  int64_t lines = 0;
  while (!buffer.empty()) {
    const size_t eol = buffer.find('\n');
    std::string_view line = buffer.substr(0, eol);
    buffer.remove_prefix(eol == std::string_view::npos ? buffer.size()
                                                       : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) ++lines;
  }
  return lines;
}

// Record equality, except that a missing coordinate (NaN: the loader reads
// "-999" or an empty field as missing) equals itself.
bool SameRecord(overlay::Record a, overlay::Record b) {
  auto same = [](double x, double y) {
    return x == y || (std::isnan(x) && std::isnan(y));
  };
  if (!same(a.latitude, b.latitude) || !same(a.longitude, b.longitude)) {
    return false;
  }
  a.latitude = b.latitude = 0;
  a.longitude = b.longitude = 0;
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  FLAGS_minloglevel = 2;  // the loader logs every malformed row it skips
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  overlay::TableBuilder builder;
  overlay::LoadStats stats;
  overlay::ParseCsvBuffer(buffer, "fuzz.csv", builder, stats,
                          /*max_reported_errors=*/3);
  CHECK_EQ(stats.rows + stats.malformed_rows, NonEmptyLines(buffer));
  CHECK_LE(stats.errors.size(), 3u);
  const overlay::Table table = builder.Build();
  CHECK_EQ(table.num_rows(), static_cast<size_t>(stats.rows));
  std::vector<uint32_t> rows(table.num_rows());
  for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
  overlay::v1::RecordChunk chunk;
  overlay::EncodeChunk(table, rows, &chunk);
  absl::StatusOr<std::vector<overlay::Record>> decoded =
      overlay::DecodeChunk(chunk);
  CHECK(decoded.ok()) << decoded.status();
  CHECK_EQ(decoded->size(), rows.size());
  for (uint32_t i = 0; i < rows.size(); ++i) {
    const overlay::Record record = table.GetRecord(i);
    CHECK(SameRecord((*decoded)[i], record))
        << overlay::DebugString((*decoded)[i]) << " vs "
        << overlay::DebugString(record);
  }
  return 0;
}
