// Copyright 2026 The overlay Authors.
//
// AdmissionPermit: one admission slot of an AdmissionController, held while
// the request runs (RAII, like Seastar's semaphore_units). Destroying it, or
// Release(), returns the slot and admits the next waiter: that waiter's
// callback runs on the releasing thread, outside the controller's lock.
// Owns the slot. Movable, not copyable. Thread-compatible: one owner at a
// time, which may release it from any thread. REQUIRES: the controller
// outlives its permits.
//
//   AdmissionPermit permit = std::get<AdmissionPermit>(std::move(result));
//   ... run the request ...
//   permit.Release();  // or let it go out of scope

#ifndef OVERLAY_CORE_ADMISSION_ADMISSION_PERMIT_H_
#define OVERLAY_CORE_ADMISSION_ADMISSION_PERMIT_H_

#include <cstdint>

namespace overlay {

class AdmissionController;

class AdmissionPermit final {
 public:
  AdmissionPermit() = default;  // holds nothing
  AdmissionPermit(const AdmissionPermit&) = delete;
  AdmissionPermit& operator=(const AdmissionPermit&) = delete;
  AdmissionPermit(AdmissionPermit&& other) noexcept;
  AdmissionPermit& operator=(AdmissionPermit&& other) noexcept;
  ~AdmissionPermit() { Release(); }

  bool held() const { return controller_ != nullptr; }
  // Returns the slot now (the time held so far is the service time the
  // controller learns). No-op when nothing is held.
  void Release();

 private:
  friend class AdmissionController;
  AdmissionPermit(AdmissionController* controller, int team, uint32_t row,
                  int64_t start_nanos, int64_t cost, bool follow_up)
      : controller_(controller),
        team_(team),
        row_(row),
        start_nanos_(start_nanos),
        cost_(cost),
        follow_up_(follow_up) {}

  AdmissionController* controller_ = nullptr;
  int team_ = 0;
  uint32_t row_ = 0;  // the class's metrics row
  int64_t start_nanos_ = 0;
  int64_t cost_ = 1;
  bool follow_up_ = false;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_ADMISSION_PERMIT_H_
