// Copyright 2026 The overlay Authors.

#include "nodes/chunk_cache.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/store/query_executor.h"
#include "core/wire/chunk_codec.h"
#include "core/wire/reply_buffers.h"
#include "glog/logging.h"

namespace overlay {
namespace {

// Rows a stateless slice's scan touches between checks of its deadline.
constexpr size_t kSliceRows = 256 * 1024;

grpc::Status Status(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

}  // namespace

std::string ShareChunks::Key(int64_t index) const {
  return NodeCache::ChunkKey(owner, generation, chunk_size, index,
                             share_records, filter_key);
}

ShareChunks ChunksOf(const QueryPlan& plan, int32_t index,
                     int64_t* index_in_share) {
  const Segment& segment = plan.SegmentOf(index);
  ShareChunks chunks;
  chunks.owner = segment.node_id;
  chunks.generation = segment.generation;
  chunks.chunk_size = plan.chunk_size();
  chunks.share_records = segment.records;
  chunks.filter_key = plan.query().filter_key;
  *index_in_share = index - segment.first_chunk;
  return chunks;
}

int PreencodeChunks(const Node* node, const ShareChunks& chunks,
                    absl::Span<const uint32_t> rows, int64_t skip_index,
                    const std::atomic<bool>* stop) {
  NodeCache* cache = node->services.cache;
  if (!cache->enabled() || !chunks.valid() ||
      static_cast<int64_t>(rows.size()) < chunks.share_records) {
    return 0;
  }
  const int64_t budget = cache->preencode_budget_bytes();
  int64_t spent = 0;
  int written = 0;
  v1::RecordChunk chunk;
  std::string bytes;
  for (int64_t index = 0; index < chunks.chunks() && spent < budget;
       ++index) {
    if (index == skip_index) continue;
    // Relaxed: a hint to stop early; nothing is published through it.
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) break;
    const std::string key = chunks.Key(index);
    if (cache->HasChunk(key)) continue;
    const int64_t offset = index * chunks.chunk_size;
    const int64_t count =
        std::min<int64_t>(chunks.chunk_size, chunks.share_records - offset);
    EncodeChunk(*node->env.table,
                rows.subspan(static_cast<size_t>(offset),
                             static_cast<size_t>(count)),
                &chunk);
    chunk.SerializeToString(&bytes);
    spent += static_cast<int64_t>(bytes.size());
    cache->PutChunk(key, bytes, /*preencoded=*/true);
    ++written;
  }
  return written;
}

void StartStatelessSlice(const Node* node, StatelessSlice slice,
                         SliceDone done) {
  auto job = std::make_shared<std::pair<StatelessSlice, SliceDone>>(
      std::move(slice), std::move(done));
  const bool submitted = node->services.workers->Submit([node, job] {
    StatelessSlice& slice = job->first;
    SliceDone& done = job->second;
    const NodeEnv& env = node->env;
    const ShareChunks& chunks = slice.chunks;
    if (chunks.generation != env.data_generation || env.share == nullptr) {
      done(Status(grpc::StatusCode::FAILED_PRECONDITION,
                  absl::StrCat("the data of '", env.id(),
                               "' changed since the query was planned "
                               "(generation ",
                               absl::Hex(chunks.generation), ", now ",
                               absl::Hex(env.data_generation),
                               "): run the query again")),
           "");
      return;
    }
    const int64_t offset = slice.index * chunks.chunk_size;
    const int64_t count =
        std::min<int64_t>(chunks.chunk_size, chunks.share_records - offset);
    if (slice.index < 0 || count <= 0) {
      done(Status(grpc::StatusCode::OUT_OF_RANGE,
                  absl::StrCat("chunk ", slice.index, " is not in the ",
                               chunks.share_records, " records of '",
                               env.id(), "'")),
           "");
      return;
    }
    // Another slice of the share may have made it while this one waited.
    std::string records = ReplyBuffers::Shared().Take();
    NodeCache* cache = node->services.cache;
    if (!slice.fresh && cache->GetChunk(chunks.Key(slice.index), &records)) {
      done(grpc::Status::OK, std::move(records));
      return;
    }
    // The share's first share_records matches: the same rows the owner
    // held when the plan was made (same data, same filter).
    Filter filter = slice.filter;
    filter.limit = filter.limit > 0
                       ? std::min(filter.limit, chunks.share_records)
                       : chunks.share_records;
    absl::StatusOr<ScanCursor> cursor = ScanCursor::Create(*env.table, filter);
    if (!cursor.ok()) {
      done(Status(grpc::StatusCode::INVALID_ARGUMENT,
                  std::string(cursor.status().message())),
           "");
      return;
    }
    node->services.metrics->Add(node->services.metrics->queries_executed);
    std::vector<uint32_t> rows;
    while (!cursor->Next(kSliceRows, &rows)) {
      // Relaxed: a hint to stop; nothing is published through it.
      if (slice.cancelled != nullptr &&
          slice.cancelled->load(std::memory_order_relaxed)) {
        done(Status(grpc::StatusCode::CANCELLED, "cancelled"), "");
        return;
      }
      if (env.clock->NowNanos() >= slice.deadline) {
        done(Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                    absl::StrCat("scan of '", env.id(), "' ran out of time")),
             "");
        return;
      }
    }
    if (static_cast<int64_t>(rows.size()) < chunks.share_records) {
      done(Status(grpc::StatusCode::DATA_LOSS,
                  absl::StrCat("'", env.id(), "' found ", rows.size(),
                               " records where the plan has ",
                               chunks.share_records)),
           "");
      return;
    }
    v1::RecordChunk chunk;
    EncodeChunk(*env.table,
                absl::MakeConstSpan(rows).subspan(static_cast<size_t>(offset),
                                                  static_cast<size_t>(count)),
                &chunk);
    chunk.SerializeToString(&records);
    cache->CountStatelessChunk();
    cache->PutChunk(chunks.Key(slice.index), records);
    // The rest of the share was likely evicted with it: one scan, not one
    // per chunk. Before answering, so the next pulls find them.
    PreencodeChunks(node, chunks, rows, slice.index, slice.cancelled.get());
    done(grpc::Status::OK, std::move(records));
  });
  if (!submitted) {
    job->second(Status(grpc::StatusCode::UNAVAILABLE, "node is shutting down"),
                "");
  }
}

}  // namespace overlay
