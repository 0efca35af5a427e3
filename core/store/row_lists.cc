// Copyright 2026 The overlay Authors.

#include "core/store/row_lists.h"

#include <algorithm>
#include <limits>

#include "glog/logging.h"

namespace overlay {
namespace {

template <typename T>
size_t CapacityBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

constexpr uint32_t kNoSegment = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kLowMask = (uint32_t{1} << RowLists::kSegmentBits) - 1;

}  // namespace

void RowLists::Cursor::NextBucket() {
  if (pos_ == end_) return;
  // Buckets are never empty, so the next one holds pos_.
  ++bucket_;
  bucket_end_ = bucket_start_[bucket_ + 1];
  base_ = static_cast<uint32_t>(bucket_segment_[bucket_]) << kSegmentBits;
}

size_t RowLists::Cursor::Read(size_t n, uint32_t* out) {
  size_t done = 0;
  while (done < n && pos_ != end_) {
    const uint32_t stop = std::min(end_, bucket_end_);
    const size_t m = std::min<size_t>(n - done, stop - pos_);
    const uint16_t* in = lows_ + pos_;
    const uint32_t base = base_;
    uint32_t* to = out + done;
    for (size_t j = 0; j < m; ++j) to[j] = base | in[j];
    done += m;
    pos_ += static_cast<uint32_t>(m);
    if (pos_ == bucket_end_) NextBucket();
  }
  return done;
}

size_t RowLists::Cursor::MarkBelow(uint64_t first, uint64_t limit,
                                   uint64_t* bits) {
  size_t marked = 0;
  while (pos_ != end_ && base_ < limit) {
    const uint32_t stop = std::min(end_, bucket_end_);
    const uint64_t base = base_;
    uint32_t p = pos_;
    for (; p < stop; ++p) {
      const uint64_t row = base | lows_[p];
      if (row >= limit) break;
      const uint64_t offset = row - first;
      bits[offset >> 6] |= uint64_t{1} << (offset & 63);
    }
    marked += p - pos_;
    pos_ = p;
    if (pos_ != bucket_end_) break;  // at `limit`, or done
    NextBucket();
  }
  return marked;
}

RowLists::RowLists() : code_bucket_{0}, bucket_start_{0} {}

void RowLists::Build(absl::Span<const uint32_t> codes, size_t num_codes) {
  BuildImpl(codes, num_codes);
}

void RowLists::Build(absl::Span<const uint8_t> codes, size_t num_codes) {
  BuildImpl(codes, num_codes);
}

template <typename Code>
void RowLists::BuildImpl(absl::Span<const Code> codes, size_t num_codes) {
  const size_t n = codes.size();
  CHECK_LT(n, size_t{std::numeric_limits<uint32_t>::max()});
  // Pass 1: rows and buckets of each code. Rows come in ascending order, so
  // a code's segment only ever grows.
  std::vector<uint32_t> rows(num_codes + 1, 0);
  std::vector<uint32_t> buckets(num_codes + 1, 0);
  std::vector<uint32_t> last_segment(num_codes, kNoSegment);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t code = codes[i];
    DCHECK_LT(code, num_codes);
    const uint32_t segment = static_cast<uint32_t>(i >> kSegmentBits);
    ++rows[code + 1];
    if (last_segment[code] != segment) {
      last_segment[code] = segment;
      ++buckets[code + 1];
    }
  }
  for (size_t c = 0; c < num_codes; ++c) {
    rows[c + 1] += rows[c];
    buckets[c + 1] += buckets[c];
  }
  const uint32_t num_buckets = buckets[num_codes];
  // Pass 2: place every row; rows[c] and buckets[c] become the next free
  // position and bucket of code c.
  code_bucket_ = buckets;
  bucket_start_.assign(num_buckets + 1, static_cast<uint32_t>(n));
  bucket_segment_.assign(num_buckets, 0);
  lows_.assign(n, 0);
  std::fill(last_segment.begin(), last_segment.end(), kNoSegment);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t code = codes[i];
    const uint32_t segment = static_cast<uint32_t>(i >> kSegmentBits);
    if (last_segment[code] != segment) {
      last_segment[code] = segment;
      const uint32_t b = buckets[code]++;
      bucket_segment_[b] = static_cast<uint16_t>(segment);
      bucket_start_[b] = rows[code];
    }
    lows_[rows[code]++] = static_cast<uint16_t>(i & kLowMask);
  }
}

uint32_t RowLists::Position(uint32_t code, size_t row) const {
  const uint32_t first = code_bucket_[code];
  const uint32_t last = code_bucket_[code + 1];
  if (row >= num_rows()) return bucket_start_[last];
  const uint16_t segment = static_cast<uint16_t>(row >> kSegmentBits);
  const uint16_t* segments = bucket_segment_.data();
  const uint32_t b = static_cast<uint32_t>(
      std::lower_bound(segments + first, segments + last, segment) - segments);
  if (b == last || segments[b] > segment) return bucket_start_[b];
  const uint16_t* lows = lows_.data();
  return static_cast<uint32_t>(
      std::lower_bound(lows + bucket_start_[b], lows + bucket_start_[b + 1],
                       static_cast<uint16_t>(row & kLowMask)) -
      lows);
}

uint32_t RowLists::BucketOf(uint32_t code, uint32_t pos) const {
  const uint32_t* starts = bucket_start_.data();
  // The last bucket of the code starting at or before pos.
  return static_cast<uint32_t>(std::upper_bound(starts + code_bucket_[code],
                                                starts + code_bucket_[code + 1],
                                                pos) -
                               starts - 1);
}

RowLists::Cursor RowLists::Find(uint32_t code, size_t lo, size_t hi) const {
  Cursor c;
  c.lows_ = lows_.data();
  c.bucket_start_ = bucket_start_.data();
  c.bucket_segment_ = bucket_segment_.data();
  c.pos_ = Position(code, lo);
  c.end_ = std::max(c.pos_, Position(code, hi));
  if (c.pos_ == c.end_) return c;
  c.bucket_ = BucketOf(code, c.pos_);
  c.bucket_end_ = bucket_start_[c.bucket_ + 1];
  c.base_ = static_cast<uint32_t>(bucket_segment_[c.bucket_]) << kSegmentBits;
  return c;
}

size_t RowLists::MemoryBytes() const {
  return CapacityBytes(code_bucket_) + CapacityBytes(bucket_start_) +
         CapacityBytes(bucket_segment_) + CapacityBytes(lows_);
}

}  // namespace overlay
