// Copyright 2026 The overlay Authors.
//
// ReplyBuffers: a bounded free list of the strings that carry a chunk's
// records into a reply. A chunk is hundreds of KiB: a fresh string per reply
// is an allocation above malloc's mmap threshold (or one that glibc trims
// back from its heap as soon as it is freed), so every reply paid for
// faulting in and zeroing its pages again: 1.2 ms of a 10 ms sequential pull
// of 14 chunks. Taking the string from here and handing it back when gRPC
// has sent it (WithBytesField) reuses the pages instead.
//
// The pool keeps at most kMaxBuffers strings of at most kMaxCapacity bytes
// each (4 MiB a process at worst), and frees anything else. One pool per
// process, never destroyed: gRPC may release a reply's slices after the
// node that sent it is gone. Thread-safe.

#ifndef OVERLAY_CORE_WIRE_REPLY_BUFFERS_H_
#define OVERLAY_CORE_WIRE_REPLY_BUFFERS_H_

#include <grpcpp/support/byte_buffer.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace overlay {

class ReplyBuffers final {
 public:
  static constexpr size_t kMaxBuffers = 4;
  static constexpr size_t kMaxCapacity = size_t{1} << 20;

  static ReplyBuffers& Shared();

  ReplyBuffers() = default;
  ReplyBuffers(const ReplyBuffers&) = delete;
  ReplyBuffers& operator=(const ReplyBuffers&) = delete;

  // An empty string, with the capacity of a returned one when there is one.
  std::string Take();
  // Keeps `buffer` for a later Take() if there is room and it is worth
  // keeping (beyond the small-string buffer, within kMaxCapacity), else
  // frees it. A caller that took a buffer and did not fill it gives it back.
  void Give(std::string buffer);
  size_t pooled() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> free_ ABSL_GUARDED_BY(mu_);
};

// Appends the tag and the length of length-delimited field `field` of
// `length` bytes: what a parser reads before the field's bytes (it takes
// fields in any order, so a message's head can be followed by one).
void AppendFieldHeader(std::string* out, int field, size_t length);

// `prefix` then `bytes`, as two slices: `bytes` goes to gRPC without a copy
// (a chunk is hundreds of KiB), and gRPC gives the string back to
// ReplyBuffers::Shared() once it is sent (an empty `bytes` goes back at
// once).
grpc::ByteBuffer PrefixedBytes(std::string prefix, std::string bytes);

// `head` (a serialized message) followed by its field `field` holding
// `bytes` (nothing when `bytes` is empty): the wire bytes of setting the
// field and serializing.
grpc::ByteBuffer WithBytesField(std::string head, int field,
                                std::string bytes);

}  // namespace overlay

#endif  // OVERLAY_CORE_WIRE_REPLY_BUFFERS_H_
