// Copyright 2026 The overlay Authors.

#include "core/wire/request_parser.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/wire/utf8.h"

namespace overlay::wire {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Our messages nest three deep; anything deeper is not ours.
constexpr int kMaxDepth = 16;

absl::string_view View(const std::string& s) {
  return absl::string_view(s.data(), s.size());
}

// Where a field occurrence is: "site_keys[3]" for repeated fields.
std::string FieldName(const FieldDescriptor& field, int index) {
  if (!field.is_repeated()) return field.name();
  return absl::StrCat(View(field.name()), "[", index, "]");
}

class Utf8Walker {
 public:
  Utf8Walker(const Descriptor& top, CodedInputStream* in)
      : top_(top), in_(in) {}

  // Walks one message of type `descriptor` up to the current limit (or the
  // end of the input); `path_` names where it is, below the top message.
  absl::Status Walk(const Descriptor& descriptor, int depth) {
    // Occurrences per field (for "[index]" in messages); no allocation for
    // our messages' field counts.
    absl::InlinedVector<int, 16> seen(
        static_cast<size_t>(descriptor.field_count()), 0);
    for (;;) {
      const uint32_t tag = in_->ReadTag();
      if (tag == 0) {
        if (!in_->ConsumedEntireMessage()) return Malformed();
        return absl::OkStatus();
      }
      const FieldDescriptor* field =
          descriptor.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
      const bool delimited = WireFormatLite::GetTagWireType(tag) ==
                             WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
      if (field == nullptr || !delimited ||
          (field->type() != FieldDescriptor::TYPE_STRING &&
           field->type() != FieldDescriptor::TYPE_MESSAGE)) {
        // Numbers, packed numbers, bytes and unknown fields: only skipped.
        if (!WireFormatLite::SkipField(in_, tag)) return Malformed();
        continue;
      }
      const int index = seen[static_cast<size_t>(field->index())]++;
      int length;
      if (!in_->ReadVarintSizeAsInt(&length)) return Malformed();
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        RETURN_IF_ERROR(CheckString(*field, index, length));
        continue;
      }
      if (depth >= kMaxDepth) {
        return absl::InvalidArgumentError(absl::StrCat(
            View(top_.name()), ": messages nested deeper than ", kMaxDepth));
      }
      const CodedInputStream::Limit limit = in_->PushLimit(length);
      path_.push_back(FieldName(*field, index));
      RETURN_IF_ERROR(Walk(*field->message_type(), depth + 1));
      path_.pop_back();
      // A nested message cut short by the end of the input.
      if (in_->BytesUntilLimit() != 0) return Malformed();
      in_->PopLimit(limit);
    }
  }

 private:
  absl::Status CheckString(const FieldDescriptor& field, int index,
                           int length) {
    std::string_view text;
    const void* data;
    int available;
    const bool direct =
        in_->GetDirectBufferPointer(&data, &available) && available >= length;
    if (direct) {
      text = std::string_view(static_cast<const char*>(data),
                              static_cast<size_t>(length));
    } else {
      // The string spans buffers: copy it (bounded by the input size).
      if (!in_->ReadString(&scratch_, length)) return Malformed();
      text = scratch_;
    }
    if (std::optional<Utf8Error> bad = FindInvalidUtf8(text)) {
      std::string where(View(top_.name()));
      for (const std::string& step : path_) absl::StrAppend(&where, ".", step);
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", FieldName(field, index),
                       " is not valid UTF-8: ", DescribeUtf8Error(text, *bad)));
    }
    if (direct && !in_->Skip(length)) return Malformed();
    return absl::OkStatus();
  }

  absl::Status Malformed() const {
    return absl::InvalidArgumentError(
        absl::StrCat(View(top_.name()), ": malformed protobuf wire format"));
  }

  const Descriptor& top_;
  CodedInputStream* const in_;
  std::vector<std::string> path_;  // e.g. {"filter"} inside QueryRequest
  std::string scratch_;
};

absl::Status CheckStream(const Descriptor& descriptor,
                         google::protobuf::io::ZeroCopyInputStream* stream) {
  CodedInputStream in(stream);
  return Utf8Walker(descriptor, &in).Walk(descriptor, 0);
}

absl::Status ParseFailed(const google::protobuf::Message& message) {
  return absl::InvalidArgumentError(absl::StrCat(
      View(message.GetDescriptor()->name()), ": not a valid protobuf message"));
}

}  // namespace

absl::Status CheckWireUtf8(const Descriptor& descriptor,
                           std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(
        View(descriptor.name()), ": over 2 GiB, not a protobuf message"));
  }
  google::protobuf::io::ArrayInputStream stream(bytes.data(),
                                                static_cast<int>(bytes.size()));
  return CheckStream(descriptor, &stream);
}

absl::Status ParseRequest(std::string_view bytes, size_t max_bytes,
                          google::protobuf::Message* out) {
  const Descriptor& descriptor = *out->GetDescriptor();
  out->Clear();
  RETURN_IF_ERROR(CheckReceiveSize(bytes.size(), max_bytes, descriptor.name()));
  RETURN_IF_ERROR(CheckWireUtf8(descriptor, bytes));
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return ParseFailed(*out);
  }
  return absl::OkStatus();
}

absl::Status ParseRequest(const grpc::ByteBuffer& buffer, size_t max_bytes,
                          google::protobuf::Message* out) {
  const Descriptor& descriptor = *out->GetDescriptor();
  out->Clear();
  RETURN_IF_ERROR(
      CheckReceiveSize(buffer.Length(), max_bytes, descriptor.name()));
  // The reader needs a mutable buffer; a copy only takes slice references.
  grpc::ByteBuffer walk_copy(buffer);
  {
    grpc::ProtoBufferReader reader(&walk_copy);
    RETURN_IF_ERROR(CheckStream(descriptor, &reader));
  }
  grpc::ByteBuffer parse_copy(buffer);
  grpc::ProtoBufferReader reader(&parse_copy);
  if (!out->ParseFromZeroCopyStream(&reader)) return ParseFailed(*out);
  return absl::OkStatus();
}

}  // namespace overlay::wire
