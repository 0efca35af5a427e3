// Copyright 2026 The overlay Authors.
//
// Chunk encoding: table rows → overlay.v1.RecordChunk (columnar, with a
// chunk-local site dictionary) and back to typed Records, plus the JSON line
// form clients print. Stateless; thread-safe.

#ifndef OVERLAY_CORE_WIRE_CHUNK_CODEC_H_
#define OVERLAY_CORE_WIRE_CHUNK_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/store/record.h"
#include "core/store/table.h"
#include "protos/overlay.pb.h"

namespace overlay {

// Encodes table rows `rows` (indices into `table`) into `chunk`, replacing
// its contents.
void EncodeChunk(const Table& table, absl::Span<const uint32_t> rows,
                 v1::RecordChunk* chunk);

// Records of one decoded chunk hold at most this many bytes (strings
// included): far above a real chunk (kMaxChunkSize records of ~300 bytes),
// far below what a hostile chunk whose many records name one huge site
// would take.
inline constexpr size_t kMaxDecodedChunkBytes = 64 << 20;

// Decodes every record; INVALID_ARGUMENT (a corrupt or hostile peer) if
// columns disagree in length, an index is out of its dictionary, a record
// has unknown missing bits or a time outside years 0000..9999, or the
// records would take more than kMaxDecodedChunkBytes. Nothing is allocated
// for the records before all of that is checked.
absl::StatusOr<std::vector<Record>> DecodeChunk(const v1::RecordChunk& chunk);

// Records in the chunk (length of its columns).
int RecordCount(const v1::RecordChunk& chunk);

// One JSON object on one line with keys latitude longitude utc parameter
// concentration unit raw_concentration aqi category site_name agency aqs_id
// full_aqs_id; utc as "2020-08-10T01:00"; missing values as null.
std::string RecordToJson(const Record& record);
// Escapes `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);
// Shortest text that reads back as the same double.
std::string FormatDouble(double value);

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_CHUNK_CODEC_H_
