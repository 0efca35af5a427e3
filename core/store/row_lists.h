// Copyright 2026 The overlay Authors.
//
// RowLists: for every code of a dictionary-coded column (a site, a
// parameter), the ascending list of the rows that hold it, in about 2 bytes
// a row. Rows are split into 65,536-row segments; a bucket is the rows of
// one code in one segment, stored as their low 16 bits. Buckets are laid
// out code-major and only non-empty ones exist, so one code's rows are one
// contiguous, ascending run of positions, and a bucket table (6 bytes a
// bucket) gives each position's segment.
//
// Owns its arrays. Built once (Build), then immutable: every const method
// and any number of Cursors are safe from any thread concurrently. A Cursor
// points into the lists: it must not outlive them (moving the RowLists, or
// the Table holding them, keeps cursors valid; destroying it does not).
//
//   for (RowLists::Cursor c = lists.Find(code, lo, hi); !c.done();
//        c.Advance()) {
//     Use(c.row());  // ascending rows of `code` within [lo, hi)
//   }

#ifndef OVERLAY_CORE_STORE_ROW_LISTS_H_
#define OVERLAY_CORE_STORE_ROW_LISTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace overlay {

class RowLists final {
 public:
  static constexpr int kSegmentBits = 16;

  // Iterates one code's rows in ascending order over a position range.
  // Thread-compatible; a plain value (copyable, 32 bytes).
  class Cursor {
   public:
    Cursor() = default;  // done

    bool done() const { return pos_ == end_; }
    // Rows left, this one included.
    size_t remaining() const { return end_ - pos_; }
    // REQUIRES: !done().
    uint32_t row() const { return base_ | lows_[pos_]; }
    // REQUIRES: !done().
    void Advance() {
      if (++pos_ == bucket_end_) NextBucket();
    }
    // Decodes up to `n` rows into `out` and moves past them; returns how
    // many (less than `n` only when the cursor is done).
    size_t Read(size_t n, uint32_t* out);
    // Sets, for every row r < `limit`, bit r - `first` of `bits`, moving
    // past those rows; returns how many. REQUIRES: every remaining row is
    // >= `first`, and `limit` - `first` <= 64 * the words of `bits`.
    size_t MarkBelow(uint64_t first, uint64_t limit, uint64_t* bits);

   private:
    friend class RowLists;
    void NextBucket();

    const uint16_t* lows_ = nullptr;
    const uint32_t* bucket_start_ = nullptr;
    const uint16_t* bucket_segment_ = nullptr;
    uint32_t pos_ = 0;
    uint32_t end_ = 0;
    uint32_t bucket_ = 0;      // the bucket holding pos_ (when !done())
    uint32_t bucket_end_ = 0;  // its end position
    uint32_t base_ = 0;        // its segment << kSegmentBits
  };

  RowLists();  // no codes, no rows
  RowLists(RowLists&&) = default;
  RowLists& operator=(RowLists&&) = default;
  RowLists(const RowLists&) = delete;
  RowLists& operator=(const RowLists&) = delete;

  // Replaces the lists by those of `codes` (row i holds codes[i]).
  // REQUIRES: every code < num_codes; codes.size() < 2^32.
  void Build(absl::Span<const uint32_t> codes, size_t num_codes);
  void Build(absl::Span<const uint8_t> codes, size_t num_codes);

  size_t num_codes() const {
    return code_bucket_.empty() ? 0 : code_bucket_.size() - 1;
  }
  size_t num_rows() const { return lows_.size(); }
  // Rows of `code`. REQUIRES: code < num_codes().
  size_t size(uint32_t code) const {
    return bucket_start_[code_bucket_[code + 1]] -
           bucket_start_[code_bucket_[code]];
  }
  // The rows of `code` within [lo, hi). REQUIRES: code < num_codes(),
  // lo <= hi.
  Cursor Find(uint32_t code, size_t lo, size_t hi) const;
  // Find(code, lo, hi).remaining(), two binary searches.
  size_t Count(uint32_t code, size_t lo, size_t hi) const {
    return Position(code, hi) - Position(code, lo);
  }

  // Bytes held (capacity).
  size_t MemoryBytes() const;

 private:
  template <typename Code>
  void BuildImpl(absl::Span<const Code> codes, size_t num_codes);
  // The position of the first row >= `row` of `code` (its end if none).
  uint32_t Position(uint32_t code, size_t row) const;
  // The bucket of `code` holding position `pos`. REQUIRES: pos is one of
  // the code's positions.
  uint32_t BucketOf(uint32_t code, uint32_t pos) const;

  std::vector<uint32_t> code_bucket_;     // num_codes + 1: first bucket
  std::vector<uint32_t> bucket_start_;    // buckets + 1: first position
  std::vector<uint16_t> bucket_segment_;  // buckets: segment number
  std::vector<uint16_t> lows_;            // rows: row & 0xFFFF
};

}  // namespace overlay

#endif  // OVERLAY_CORE_STORE_ROW_LISTS_H_
