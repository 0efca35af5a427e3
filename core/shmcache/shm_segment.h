// Copyright 2026 The overlay Authors.
//
// ShmSegment: one named shared cache segment mapped into this process, and
// the lifecycle protocol every co-located process follows for it. Owns the
// segment's fd (and so its byte-range locks) and its MAP_SHARED mapping.
//
//  * CreateOrAttach attaches to the live segment "<directory>/<name>" after
//    validating its header against this process's options and environment
//    (magic, layout version, checksum, sizes, boot id, time namespace, uid,
//    initialising flag): any mismatch is FAILED_PRECONDITION and the caller
//    runs without the cache. If there is none, it creates one as an unnamed
//    O_TMPFILE, mode 0600, posix_fallocate'd to its full size (a full tmpfs
//    is a clean RESOURCE_EXHAUSTED now, never a SIGBUS later), initialises
//    it, joins it, and only then links it under its name, exclusively
//    (linkat fails on EEXIST like O_EXCL): other processes never see a
//    half-made segment, and a creator that dies leaves nothing behind.
//  * Liveness is kernel-tracked: every attacher holds a read lock on
//    LockByte::kMembership of its own open file description, dropped by the
//    kernel when the process dies (SIGKILL included). Under the kLifecycle
//    write lock, a segment whose membership byte can be write-locked has no
//    live attacher: at start it is stale and is reclaimed (unlinked and
//    created anew); at Detach() this process is the last one and removes it.
//    Works across pid namespaces; needs no pid table and no robust mutex.
//
// CreateOrAttach and Detach may wait briefly on kLifecycle while another
// process attaches or detaches (never while one creates: creation takes no
// lock). Thread-compatible: the accessors may be used from any thread;
// Detach() and the destructor need exclusive access. A forked child that
// inherits a ShmSegment must not rely on it (its Detach() only unmaps); it
// attaches anew.

#ifndef OVERLAY_CORE_SHMCACHE_SHM_SEGMENT_H_
#define OVERLAY_CORE_SHMCACHE_SHM_SEGMENT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/shmcache/posix_api.h"
#include "core/shmcache/shm_cache_options.h"
#include "core/shmcache/shm_layout.h"

namespace overlay {

enum class AttachMode {
  kCreated,    // no segment existed; this process created it
  kAttached,   // joined a live segment
  kReclaimed,  // removed a stale segment nobody was attached to, then created
};

class ShmSegment final {
 public:
  // REQUIRES: posix outlives the segment.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmSegment>>
  CreateOrAttach(const ShmCacheOptions& options, PosixApi* posix);

  // Removes the segment file at `path` if nobody is attached to it any more
  // (every attacher died: a SIGKILLed node, an aborted test), which the next
  // CreateOrAttach of its name would reclaim anyway. True if it removed it;
  // false if there is no file, it is live, or it is not a segment (no
  // segment magic). FAILED_PRECONDITION for a stale segment of another
  // user (kept). May wait briefly on kLifecycle, as CreateOrAttach.
  [[nodiscard]] static absl::StatusOr<bool> RemoveIfStale(
      const std::string& path, PosixApi* posix);

  // RemoveIfStale for every "overlay-*" file in `directory` (all segment
  // names start so, see ShmSegmentName). Another user's files, which this
  // process may not open or must not remove, are `skipped`; files it could
  // not decide on are in `errors`. Each with its reason; the others are
  // still tried.
  struct SweepResult {
    std::vector<std::string> removed;  // paths
    std::vector<std::string> skipped;
    std::vector<std::string> errors;
  };
  [[nodiscard]] static absl::StatusOr<SweepResult> RemoveStaleSegments(
      const std::string& directory, PosixApi* posix);

  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment();  // Detach()es; logs an error it cannot return

  // Unmaps and closes the segment; when this was the last attacher, also
  // removes its file and returns true. Idempotent (false once detached).
  [[nodiscard]] absl::StatusOr<bool> Detach();

  // The mapping; valid until Detach().
  shm_layout::Header* header() const { return header_; }
  shm_layout::Bucket* buckets() const { return buckets_; }
  char* arena() const { return arena_; }
  // The validated, process-local geometry; never re-read from the segment,
  // so corruption of the shared header cannot move this process's bounds.
  const shm_layout::Geometry& geometry() const { return geometry_; }
  const std::string& path() const { return path_; }
  AttachMode attach_mode() const { return attach_mode_; }
  bool attached() const { return fd_ >= 0; }

 private:
  ShmSegment(PosixApi* posix, std::string path, int fd, void* base,
             const shm_layout::Geometry& geometry, AttachMode mode);
  // Creates, initialises and publishes a new segment at `path`; nullptr if
  // another process published one first.
  static absl::StatusOr<std::unique_ptr<ShmSegment>> Create(
      PosixApi* posix, const std::string& path, const std::string& directory,
      const shm_layout::Geometry& geometry, AttachMode mode);

  PosixApi* const posix_;
  const std::string path_;
  int fd_;
  void* base_;
  const shm_layout::Geometry geometry_;
  const AttachMode attach_mode_;
  const pid_t owner_pid_;  // the process that attached; see fork note
  shm_layout::Header* const header_;
  shm_layout::Bucket* const buckets_;
  char* const arena_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_SHMCACHE_SHM_SEGMENT_H_
