// Copyright 2026 The overlay Authors.

#include "core/wire/reply_buffers.h"

#include <grpcpp/support/slice.h>

#include <cstdint>
#include <utility>

namespace overlay {

ReplyBuffers& ReplyBuffers::Shared() {
  static ReplyBuffers* const pool = new ReplyBuffers();
  return *pool;
}

std::string ReplyBuffers::Take() {
  absl::MutexLock lock(&mu_);
  if (free_.empty()) return std::string();
  std::string buffer = std::move(free_.back());
  free_.pop_back();
  return buffer;
}

void ReplyBuffers::Give(std::string buffer) {
  // A string that never left its small-string buffer is not worth a place.
  if (buffer.capacity() <= std::string().capacity() ||
      buffer.capacity() > kMaxCapacity) {
    return;
  }
  buffer.clear();
  absl::MutexLock lock(&mu_);
  if (free_.size() < kMaxBuffers) free_.push_back(std::move(buffer));
}

size_t ReplyBuffers::pooled() const {
  absl::MutexLock lock(&mu_);
  return free_.size();
}

void AppendFieldHeader(std::string* out, int field, size_t length) {
  uint64_t value = (static_cast<uint64_t>(field) << 3) | 2;  // LEN
  for (int part = 0; part < 2; ++part) {  // the tag, then the length
    while (value >= 0x80) {
      out->push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out->push_back(static_cast<char>(value));
    value = length;
  }
}

grpc::ByteBuffer PrefixedBytes(std::string prefix, std::string bytes) {
  if (bytes.empty()) {
    // A buffer taken for records that did not come goes back now.
    ReplyBuffers::Shared().Give(std::move(bytes));
    grpc::Slice only(prefix);
    return grpc::ByteBuffer(&only, 1);
  }
  auto* owned = new std::string(std::move(bytes));
  const grpc::Slice slices[2] = {
      grpc::Slice(prefix),
      grpc::Slice(owned->data(), owned->size(),
                  [](void* string) {
                    auto* sent = static_cast<std::string*>(string);
                    ReplyBuffers::Shared().Give(std::move(*sent));
                    delete sent;
                  },
                  owned)};
  return grpc::ByteBuffer(slices, 2);
}

grpc::ByteBuffer WithBytesField(std::string head, int field,
                                std::string bytes) {
  if (!bytes.empty()) AppendFieldHeader(&head, field, bytes.size());
  return PrefixedBytes(std::move(head), std::move(bytes));
}

}  // namespace overlay
