// Copyright 2026 The overlay Authors.

#include "core/wire/reply_buffers.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "protos/overlay.pb.h"

namespace overlay {
namespace {

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

TEST(ReplyBuffersTest, KeepsAtMostItsBoundAndNothingTooLarge) {
  ReplyBuffers pool;
  for (size_t i = 0; i < ReplyBuffers::kMaxBuffers + 3; ++i) {
    pool.Give(std::string(1000, 'x'));
  }
  EXPECT_EQ(pool.pooled(), ReplyBuffers::kMaxBuffers);
  pool.Give(std::string(ReplyBuffers::kMaxCapacity + 1, 'x'));
  EXPECT_EQ(pool.pooled(), ReplyBuffers::kMaxBuffers);

  const std::string taken = pool.Take();
  EXPECT_TRUE(taken.empty());  // cleared, whatever it held
  EXPECT_GE(taken.capacity(), 1000u);
  EXPECT_EQ(pool.pooled(), ReplyBuffers::kMaxBuffers - 1);
}

TEST(ReplyBuffersTest, TakeFromAnEmptyPoolGivesAFreshString) {
  ReplyBuffers pool;
  EXPECT_TRUE(pool.Take().empty());
  EXPECT_EQ(pool.pooled(), 0u);
}

// The two slices are the bytes of the message with the field set, and the
// records' string goes back to the shared pool once gRPC lets go of it.
TEST(ReplyBuffersTest, WithBytesFieldIsTheSerializedMessageAndReturnsItsBuffer) {
  v1::ChunkResponseRaw head;
  head.set_query_id("q-1");
  head.set_chunk_index(3);
  head.set_total_chunks(9);
  head.set_first_record(12345);
  v1::RecordChunk chunk;
  for (int i = 0; i < 30'000; ++i) chunk.add_utc_seconds(1'597'000'000 + i);
  const std::string records = chunk.SerializeAsString();

  v1::ChunkResponseRaw whole = head;
  whole.set_records(records);
  const std::string expected = whole.SerializeAsString();

  ReplyBuffers& shared = ReplyBuffers::Shared();
  while (shared.pooled() > 0) (void)shared.Take();
  std::string bytes = shared.Take();
  bytes = records;
  {
    std::optional<grpc::ByteBuffer> reply =
        WithBytesField(head.SerializeAsString(),
                       v1::ChunkResponseRaw::kRecordsFieldNumber,
                       std::move(bytes));
    EXPECT_EQ(Flatten(*reply), expected);
    v1::ChunkResponse parsed;
    grpc::ProtoBufferReader reader(&*reply);
    ASSERT_TRUE(parsed.ParseFromZeroCopyStream(&reader));
    EXPECT_EQ(parsed.first_record(), 12345);
    EXPECT_EQ(parsed.records().utc_seconds_size(), 30'000);
    EXPECT_EQ(shared.pooled(), 0u);  // still held by the reply
    reply.reset();
  }
  EXPECT_EQ(shared.pooled(), 1u);
  EXPECT_GE(shared.Take().capacity(), records.size());
}

// The Query answer's shape: a message whose field holds a message whose
// field holds the records, built from two heads and the records' bytes.
TEST(ReplyBuffersTest, FieldHeadersNestAMessageAroundTheBytes) {
  v1::RecordChunk chunk;
  for (int i = 0; i < 1'000; ++i) chunk.add_utc_seconds(1'597'000'000 + i);
  v1::QueryResponse expected;
  expected.set_query_id("q-3");
  expected.set_total_chunks(1);
  expected.set_whole(true);
  v1::ChunkResponse* first = expected.mutable_first_chunk();
  first->set_query_id("q-3");
  first->set_total_chunks(1);
  *first->mutable_records() = chunk;

  v1::QueryResponse outer = expected;
  outer.clear_first_chunk();
  std::string head = outer.SerializeAsString();
  v1::ChunkResponseRaw inner;
  inner.set_query_id("q-3");
  inner.set_total_chunks(1);
  std::string inner_head = inner.SerializeAsString();
  const std::string records = chunk.SerializeAsString();
  AppendFieldHeader(&inner_head, v1::ChunkResponseRaw::kRecordsFieldNumber,
                    records.size());
  AppendFieldHeader(&head, v1::QueryResponse::kFirstChunkFieldNumber,
                    inner_head.size() + records.size());
  head += inner_head;
  const grpc::ByteBuffer reply = PrefixedBytes(std::move(head), records);

  v1::QueryResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(Flatten(reply)));
  EXPECT_EQ(parsed.SerializeAsString(), expected.SerializeAsString());
}

TEST(ReplyBuffersTest, SmallStringsAreNotKept) {
  ReplyBuffers pool;
  pool.Give(std::string());
  pool.Give(std::string("short"));
  EXPECT_EQ(pool.pooled(), 0u);
}

// A caller that took a buffer for records that did not come (a chunk to
// fetch elsewhere) hands it on empty: it goes back to the pool.
TEST(ReplyBuffersTest, ATakenBufferLeftEmptyGoesBack) {
  ReplyBuffers& shared = ReplyBuffers::Shared();
  while (shared.pooled() > 0) (void)shared.Take();
  shared.Give(std::string(64 * 1024, 'x'));
  std::string unused = shared.Take();
  ASSERT_EQ(shared.pooled(), 0u);
  const grpc::ByteBuffer reply = PrefixedBytes("head", std::move(unused));
  EXPECT_EQ(Flatten(reply), "head");
  EXPECT_EQ(shared.pooled(), 1u);
  EXPECT_GE(shared.Take().capacity(), 64u * 1024);
}

TEST(ReplyBuffersTest, WithBytesFieldOfNothingIsTheHeadAlone) {
  v1::ChunkResponseRaw head;
  head.set_query_id("q-2");
  const grpc::ByteBuffer reply =
      WithBytesField(head.SerializeAsString(),
                     v1::ChunkResponseRaw::kRecordsFieldNumber, "");
  EXPECT_EQ(Flatten(reply), head.SerializeAsString());
}

}  // namespace
}  // namespace overlay
