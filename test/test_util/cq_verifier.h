// Copyright 2026 The overlay Authors.
//
// CqVerifier: drives a grpc::CompletionQueue by hand in CQ-level tests, in
// the style of gRPC's end2end tests: Expect(tag, ok).Verify(cq). Verify()
// pops events (with a deadline, never sleeping) until every expected tag has
// arrived with the expected `ok`, in any order, and dispatches each to
// CompletionTag::Proceed(ok) like the reactor's drain loop does. An
// unexpected tag, a wrong `ok`, a shut-down queue or the deadline fails the
// test. Thread-compatible: one test thread drives the queue.
//
//   CqVerifier().Expect(&notifier, true).Verify(&cq);

#ifndef OVERLAY_TEST_TEST_UTIL_CQ_VERIFIER_H_
#define OVERLAY_TEST_TEST_UTIL_CQ_VERIFIER_H_

#include <grpcpp/completion_queue.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "core/reactor/completion_tag.h"

namespace overlay::testing {

class CqVerifier final {
 public:
  CqVerifier() = default;
  CqVerifier(const CqVerifier&) = delete;
  CqVerifier& operator=(const CqVerifier&) = delete;

  // Expects `tag` to come off the queue once with `ok`.
  CqVerifier& Expect(CompletionTag* tag, bool ok) {
    expected_[tag] = ok;
    return *this;
  }

  // Pops events until every expectation is met; dispatches each event to its
  // tag. Clears the expectations. The deadline is only a failure bound.
  void Verify(grpc::CompletionQueue* cq,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::system_clock::now() + timeout;
    while (!expected_.empty()) {
      void* raw_tag = nullptr;
      bool ok = false;
      const grpc::CompletionQueue::NextStatus status =
          cq->AsyncNext(&raw_tag, &ok, deadline);
      if (status == grpc::CompletionQueue::TIMEOUT) {
        ADD_FAILURE() << expected_.size()
                      << " expected tag(s) did not arrive in time";
        break;
      }
      if (status == grpc::CompletionQueue::SHUTDOWN) {
        ADD_FAILURE() << "queue shut down with " << expected_.size()
                      << " expected tag(s) outstanding";
        break;
      }
      auto* tag = static_cast<CompletionTag*>(raw_tag);
      auto it = expected_.find(tag);
      if (it == expected_.end()) {
        ADD_FAILURE() << "unexpected tag " << raw_tag << " ok=" << ok;
        continue;  // not ours: do not dispatch into an unknown object
      }
      EXPECT_EQ(it->second, ok) << "tag " << raw_tag;
      expected_.erase(it);
      tag->Proceed(ok);
    }
    expected_.clear();
  }

  // Fails if any event arrives within `timeout` (keep it tiny: this bounds
  // how long a missing event is looked for, it waits for nothing to happen).
  static void VerifyEmpty(
      grpc::CompletionQueue* cq,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5)) {
    void* raw_tag = nullptr;
    bool ok = false;
    const grpc::CompletionQueue::NextStatus status = cq->AsyncNext(
        &raw_tag, &ok, std::chrono::system_clock::now() + timeout);
    EXPECT_EQ(status, grpc::CompletionQueue::TIMEOUT)
        << "unexpected event: tag " << raw_tag << " ok=" << ok;
  }

  // Shuts `cq` down and drains it, dispatching every leftover event to its
  // tag (as the reactor does), so the queue can be destroyed.
  static void ShutdownAndDrain(grpc::CompletionQueue* cq) {
    cq->Shutdown();
    void* raw_tag = nullptr;
    bool ok = false;
    while (cq->Next(&raw_tag, &ok)) {
      static_cast<CompletionTag*>(raw_tag)->Proceed(ok);
    }
  }

 private:
  std::map<CompletionTag*, bool> expected_;
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_CQ_VERIFIER_H_
