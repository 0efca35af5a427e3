// Copyright 2026 The overlay Authors.
//
// AdmissionTicket: a request waiting in an AdmissionController's queue, and
// AdmissionWaiter, the interface through which it hears the decision. The
// controller never blocks a thread: a queued request's call waits in its
// kAdmitting state; when a slot frees (or the request is shed, displaced or
// the controller shuts down), the controller calls the waiter once, outside
// its lock, and the waiter posts a wake-up to the call's completion queue
// (a Notifier). On its own thread the call then Take()s the permit or the
// rejection. Owns its place in the queue (or, once decided, the decision).
// Thread-compatible: one owner (the call); the controller synchronises the
// shared state. REQUIRES: the controller outlives its tickets.
//
//   // kAdmitting, woken by the notifier the waiter posted:
//   AdmissionDecision decision = ticket_->Take();
//   if (auto* permit = std::get_if<AdmissionPermit>(&decision)) { ... }

#ifndef OVERLAY_CORE_ADMISSION_ADMISSION_TICKET_H_
#define OVERLAY_CORE_ADMISSION_ADMISSION_TICKET_H_

#include <cstdint>
#include <variant>

#include "core/admission/admission_permit.h"
#include "core/admission/admission_rejection.h"

namespace overlay {

class AdmissionController;

// Implemented by the call that owns a queued ticket.
class AdmissionWaiter {
 public:
  // Called exactly once per ticket that was not cancelled while queued,
  // from the thread that decided it (a permit's release, a TryAdmit that
  // displaced it, Shutdown()), never under the controller's lock. It must
  // only post a wake-up (e.g. Notifier::Notify onto the call's queue) and
  // return; it must not Take() or destroy the ticket from here.
  virtual void OnAdmissionDecided() = 0;

 protected:
  ~AdmissionWaiter() = default;
};

using AdmissionDecision = std::variant<AdmissionPermit, AdmissionRejection>;

class AdmissionTicket final {
 public:
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  // Cancels a queued ticket (no callback will come) and returns the slot of
  // a permit granted but never taken.
  ~AdmissionTicket();

  // Leaves the queue. True: it was still queued; its place is free at once
  // and no callback will come. False: it was already decided; its callback
  // has run or is about to, so the waiter must stay alive until it has
  // (the call waits for its wake-up, then drops the ticket).
  bool Cancel();

  // The decision: the permit, or why not. Once.
  // REQUIRES: the waiter's OnAdmissionDecided() has been called.
  AdmissionDecision Take();

 private:
  friend class AdmissionController;
  AdmissionTicket(AdmissionController* controller, uint64_t id)
      : controller_(controller), id_(id) {}

  AdmissionController* const controller_;
  const uint64_t id_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_ADMISSION_TICKET_H_
