// Copyright 2026 The overlay Authors.

#include "nodes/share_scan.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/store/query_executor.h"
#include "core/wire/chunk_codec.h"
#include "glog/logging.h"

namespace overlay {
namespace {

// Rows touched inline on the reactor thread; the rest is touched per slice
// on a worker (between slices the scan checks for cancellation and its
// deadline).
constexpr size_t kInlineScanRows = 64 * 1024;
constexpr size_t kSliceRows = 256 * 1024;

class ShareScan final {
 public:
  ShareScan(const Node* node, ShareScanRequest request, ScanCursor cursor)
      : node_(node), request_(std::move(request)), cursor_(std::move(cursor)) {}

  void RunInline() {
    // A query the indexes answer in few rows (a key, a short window, a
    // limit met early) ends here and costs no thread hop.
    if (cursor_.Next(kInlineScanRows, &rows_)) {
      if (WillPreencode()) {
        // Encoding chunks would stall the reactor: a worker does it.
        if (node_->services.workers->Submit([this] {
              Preencode();
              Complete(absl::OkStatus());
            })) {
          return;
        }
        request_.preencode = false;  // shutting down: just answer
      }
      Complete(absl::OkStatus());
      return;
    }
    const bool submitted =
        node_->services.workers->Submit([this] { RunSlices(); });
    if (!submitted) {
      Complete(absl::UnavailableError("node is shutting down"));
    }
  }

 private:
  void RunSlices() {  // on a scan worker
    absl::Status status;
    while (!cursor_.Next(kSliceRows, &rows_)) {
      if (request_.execution->cancelled()) {
        status = absl::CancelledError("the query was cancelled");
        break;
      }
      if (node_->env.clock->NowNanos() >= request_.deadline) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "scan of '", node_->env.id(), "' ran out of time"));
        break;
      }
    }
    if (status.ok() && WillPreencode()) Preencode();
    Complete(status);
  }

  // Chunks are encoded ahead only for results held in the store: inline
  // records are one chunk, already encoded.
  bool WillPreencode() const {
    return request_.preencode && request_.chunks.has_value() &&
           !rows_.empty() && !Inline() && !request_.execution->cancelled();
  }
  bool Inline() const {
    return request_.inline_records_up_to > 0 &&
           rows_.size() <= static_cast<size_t>(request_.inline_records_up_to);
  }
  void Preencode() {  // on a scan worker
    ShareChunks& chunks = *request_.chunks;
    chunks.share_records = static_cast<int64_t>(rows_.size());
    PreencodeChunks(node_, chunks, rows_, /*skip_index=*/-1, nullptr);
    request_.preencode = false;  // done
  }

  // Stores or encodes the matches, finishes the execution, frees the scan.
  void Complete(absl::Status status) {
    const NodeServices& services = node_->services;
    services.metrics->Add(services.metrics->queries_executed);
    LocalExecution& execution = *request_.execution;
    ExecutionOutcome outcome;
    if (status.ok() && execution.cancelled()) {
      status = absl::CancelledError("the query was cancelled");
    }
    if (!status.ok()) {
      if (!absl::IsCancelled(status)) {
        LOG_EVERY_N(WARNING, 100) << "scan failed: " << status;
      }
      outcome.status = std::move(status);
    } else {
      outcome.records = static_cast<int64_t>(rows_.size());
      if (outcome.records > 0 && Inline()) {
        v1::RecordChunk chunk;
        EncodeChunk(*node_->env.table, rows_, &chunk);
        outcome.has_inline_records = true;
        outcome.inline_records =
            std::make_shared<const std::string>(chunk.SerializeAsString());
        if (request_.chunks.has_value()) {
          // The share's one chunk, for a later answer from a cached plan.
          ShareChunks& chunks = *request_.chunks;
          chunks.share_records = outcome.records;
          if (chunks.valid()) {
            services.cache->PutChunk(chunks.Key(0), *outcome.inline_records);
          }
        }
      } else if (outcome.records > 0) {
        absl::Status stored =
            services.results->Put(execution.query_id(), std::move(rows_));
        if (!stored.ok()) {
          outcome.status = absl::Status(
              stored.code(), absl::StrCat("'", node_->env.id(), "' ",
                                          stored.message()));
          outcome.records = 0;
        } else if (execution.cancelled()) {
          // Cancelled while storing: whoever cancelled may have released
          // before the rows were in.
          services.results->Release(execution.query_id());
          outcome.status = absl::CancelledError("the query was cancelled");
          outcome.records = 0;
        }
      }
    }
    std::shared_ptr<LocalExecution> keep = std::move(request_.execution);
    delete this;
    keep->Finish(std::move(outcome));
  }

  const Node* const node_;
  ShareScanRequest request_;
  ScanCursor cursor_;
  RowList rows_;
};

}  // namespace

void StartShareScan(const Node* node, ShareScanRequest request) {
  absl::StatusOr<ScanCursor> cursor =
      ScanCursor::Create(*node->env.table, request.filter);
  if (!cursor.ok()) {
    node->services.metrics->Add(node->services.metrics->queries_executed);
    ExecutionOutcome outcome;
    outcome.status = cursor.status();
    request.execution->Finish(std::move(outcome));
    return;
  }
  auto* scan =
      new ShareScan(node, std::move(request), *std::move(cursor));
  scan->RunInline();
}

}  // namespace overlay
