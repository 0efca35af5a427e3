// Copyright 2026 The overlay Authors.
//
// Memory-order notes. The protocol is a seqlock per bucket plus a ring
// arena (see shm_layout.h). Readers copy bytes that a later writer may be
// overwriting; that copy is racy by design, as in every seqlock, and is
// discarded unless the bucket version and the arena head prove it
// untouched. The orders below are the minimal ones that make those proofs
// hold (fence-to-fence synchronisation, [atomics.fences]):
//  * writer: version CAS even->odd (or arena_head CAS), release fence,
//    stores; publish with a release CAS odd->even.
//  * reader: acquire load of version, loads and copy, acquire fence, relaxed
//    re-loads of version and arena_head.

#include "core/shmcache/shm_cache.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace overlay {
namespace {

using shm_layout::Bucket;
using shm_layout::CounterId;
using shm_layout::kWays;

// A reader retries a bucket that changed under it this many times, then
// reports a miss rather than spin behind a busy writer.
constexpr int kMaxReadAttempts = 8;
// A writer re-picks a bucket after losing a claim race this many times.
constexpr int kMaxClaimAttempts = 8;
// With a write-step hook, values are copied in pieces of this size.
constexpr size_t kHookedCopyPiece = 4096;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Relaxed: a statistic.
std::atomic<int64_t> g_attach_errors{0};

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

// CLOCK_MONOTONIC seconds, modulo 2^32 (136 years of uptime).
uint32_t Seconds(int64_t nanos) {
  return static_cast<uint32_t>(nanos / kNanosPerSecond);
}

// REQUIRES: the bucket is claimed (odd) by the caller.
void ZeroFields(Bucket& b) {
  b.serial.store(0, std::memory_order_relaxed);
  b.fingerprint_lo.store(0, std::memory_order_relaxed);
  b.fingerprint_hi.store(0, std::memory_order_relaxed);
  b.position.store(0, std::memory_order_relaxed);
  b.length.store(0, std::memory_order_relaxed);
  b.expiry_nanos.store(0, std::memory_order_relaxed);
  b.checksum.store(0, std::memory_order_relaxed);
}

bool Matches(const Bucket& b, const KeyFingerprint& fp) {
  return b.fingerprint_lo.load(std::memory_order_relaxed) == fp.lo &&
         b.fingerprint_hi.load(std::memory_order_relaxed) == fp.hi;
}

}  // namespace

struct ShmCache::Victim {
  enum Kind { kNone, kSameKey, kEmpty, kExpired, kOverwritten, kLive };
  Bucket* bucket = nullptr;
  uint64_t version = 0;
  Kind kind = kNone;
};

absl::StatusOr<std::unique_ptr<ShmCache>> ShmCache::CreateOrAttach(
    const ShmCacheOptions& options, PosixApi* posix, Clock* clock) {
  if (options.writer_lease_nanos <= 0) {
    g_attach_errors.fetch_add(1, std::memory_order_relaxed);
    return absl::InvalidArgumentError(
        absl::StrCat("shm cache writer_lease_nanos must be positive, got ",
                     options.writer_lease_nanos));
  }
  absl::StatusOr<std::unique_ptr<ShmSegment>> segment =
      ShmSegment::CreateOrAttach(options, posix);
  if (!segment.ok()) {
    g_attach_errors.fetch_add(1, std::memory_order_relaxed);
    return segment.status();
  }
  return std::unique_ptr<ShmCache>(
      new ShmCache(*std::move(segment), options, clock));
}

int64_t ShmCache::attach_errors() {
  return g_attach_errors.load(std::memory_order_relaxed);
}

ShmCache::ShmCache(std::unique_ptr<ShmSegment> segment,
                   const ShmCacheOptions& options, Clock* clock)
    : segment_(std::move(segment)),
      clock_(clock),
      write_step_hook_(options.write_step_hook),
      header_(segment_->header()),
      buckets_(segment_->buckets()),
      arena_(segment_->arena()),
      arena_bytes_(segment_->geometry().arena_bytes),
      set_mask_(segment_->geometry().bucket_count / kWays - 1),
      bucket_count_(segment_->geometry().bucket_count),
      max_value_bytes_(segment_->geometry().max_value_bytes),
      lease_seconds_(std::max<int64_t>(
          1, (options.writer_lease_nanos + kNanosPerSecond - 1) /
                 kNanosPerSecond)) {}

ShmCache::~ShmCache() = default;  // ~ShmSegment detaches

absl::Status ShmCache::Detach() { return segment_->Detach().status(); }

Bucket* ShmCache::SetOf(const KeyFingerprint& fp) const {
  return buckets_ + (fp.lo & set_mask_) * kWays;
}

void ShmCache::Count(CounterId id) {
  header_->counters[id].value.fetch_add(1, std::memory_order_relaxed);
  local_[id].fetch_add(1, std::memory_order_relaxed);
}

bool ShmCache::IsIntact(uint64_t position, uint64_t length,
                        uint64_t head) const {
  // Overflow-free on corrupt inputs. A later reservation reaches the bytes
  // of [position, position + length) once head passes position + arena.
  if (position > head) return false;
  const uint64_t age = head - position;
  return age <= arena_bytes_ && length <= age &&
         position % arena_bytes_ + length <= arena_bytes_;
}

uint64_t ShmCache::HeadAfterAcquire() const {
  // Loaded after the bucket's acquire load of its version, this head covers
  // the reservation of the entry that version published (the writer's
  // reservation happens before its release CAS). A head loaded before the
  // bucket would not: a value published since sits beyond it and would read
  // as overwritten, and Sweep() would clear it seconds into a 5 s TTL.
  return header_->arena_head.load(std::memory_order_relaxed);
}

uint64_t ShmCache::Reserve(uint64_t bytes) {
  uint64_t head = header_->arena_head.load(std::memory_order_relaxed);
  uint64_t start;
  for (;;) {
    // A head this large is corruption: restart the ring (entries beyond
    // the new head read as overwritten).
    start = head >= shm_layout::kMaxArenaHead ? 0 : head;
    const uint64_t offset = start % arena_bytes_;
    if (offset + bytes > arena_bytes_) start += arena_bytes_ - offset;  // wrap
    if (header_->arena_head.compare_exchange_weak(head, start + bytes,
                                                  std::memory_order_relaxed,
                                                  std::memory_order_relaxed)) {
      break;
    }
  }
  // Release fence: a reader whose copy sees a byte this writer stores next
  // then sees this reservation in arena_head (Get's post-copy check).
  std::atomic_thread_fence(std::memory_order_release);
  return start;
}

void ShmCache::CopyIn(uint64_t position, std::string_view value) {
  char* const destination = arena_ + position % arena_bytes_;
  if (!write_step_hook_) {
    std::memcpy(destination, value.data(), value.size());
    return;
  }
  for (size_t done = 0; done < value.size();) {
    const size_t n = std::min(kHookedCopyPiece, value.size() - done);
    std::memcpy(destination + done, value.data() + done, n);
    done += n;
    if (done < value.size()) Hook(WriteStep::kCopying);
  }
}

bool ShmCache::Get(std::string_view key, std::string* out) {
  const KeyFingerprint fp = FingerprintKey(key);
  Bucket* const set = SetOf(fp);
  const int64_t now = clock_->NowNanos();
  for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
    // The newest stable entry of the key (duplicates exist briefly when two
    // processes put the same key at once).
    Bucket* found = nullptr;
    uint64_t version = 0;
    uint64_t serial = 0;
    uint64_t position = 0;
    uint64_t checksum = 0;
    int64_t expiry = 0;
    uint32_t length = 0;
    for (uint32_t way = 0; way < kWays; ++way) {
      Bucket& b = set[way];
      // Acquire: pairs with the publishing CAS, so the fields read next are
      // at least as new as this version.
      const uint64_t v = b.version.load(std::memory_order_acquire);
      if ((v & 1) != 0 || !Matches(b, fp)) continue;
      const uint64_t s = b.serial.load(std::memory_order_relaxed);
      if (s == 0 || (found != nullptr && s <= serial)) continue;
      found = &b;
      version = v;
      serial = s;
      position = b.position.load(std::memory_order_relaxed);
      length = b.length.load(std::memory_order_relaxed);
      expiry = b.expiry_nanos.load(std::memory_order_relaxed);
      checksum = b.checksum.load(std::memory_order_relaxed);
    }
    if (found == nullptr) break;
    if (expiry <= now) break;  // Sweep() or a Put() will remove it
    if (length > max_value_bytes_ ||
        !IsIntact(position, length,
                  header_->arena_head.load(std::memory_order_acquire))) {
      break;
    }
    out->resize(length);
    // Racy by design: a later writer may be overwriting these bytes; the
    // checks below discard such a copy.
    std::memcpy(out->data(), arena_ + position % arena_bytes_, length);
    // Acquire fence: if the copy or the fields saw a later writer's store,
    // the relaxed loads below see its version bump or arena reservation.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (found->version.load(std::memory_order_relaxed) != version) {
      Count(CounterId::kTornReadRetries);
      continue;
    }
    if (!IsIntact(position, length,
                  header_->arena_head.load(std::memory_order_relaxed))) {
      break;  // the ring overwrote it while we copied
    }
    const uint64_t seed =
        shm_layout::EntrySeed(fp.lo, fp.hi, position, length, expiry, serial);
    if (XxHash64(out->data(), length, seed) != checksum) {
      Count(CounterId::kChecksumFailures);
      break;
    }
    Count(CounterId::kHits);
    return true;
  }
  out->clear();
  Count(CounterId::kMisses);
  return false;
}

bool ShmCache::Contains(std::string_view key) const {
  const KeyFingerprint fp = FingerprintKey(key);
  const Bucket* const set = SetOf(fp);
  const int64_t now = clock_->NowNanos();
  for (uint32_t way = 0; way < kWays; ++way) {
    const Bucket& b = set[way];
    // Acquire: as in Get(); a torn view only makes the answer a guess,
    // which is all this promises.
    const uint64_t v = b.version.load(std::memory_order_acquire);
    const uint64_t head = HeadAfterAcquire();
    if ((v & 1) != 0 || !Matches(b, fp) ||
        b.serial.load(std::memory_order_relaxed) == 0 ||
        b.expiry_nanos.load(std::memory_order_relaxed) <= now) {
      continue;
    }
    const uint32_t length = b.length.load(std::memory_order_relaxed);
    if (length <= max_value_bytes_ &&
        IsIntact(b.position.load(std::memory_order_relaxed), length, head)) {
      return true;
    }
  }
  return false;
}

ShmCache::Victim ShmCache::ChooseVictim(Bucket* set, const KeyFingerprint& fp,
                                        int64_t now) const {
  Victim best;
  int best_rank = INT_MAX;
  uint64_t best_position = std::numeric_limits<uint64_t>::max();
  for (uint32_t way = 0; way < kWays; ++way) {
    Bucket& b = set[way];
    // Acquire: the fields classified below are those of version v or newer;
    // if newer, the claim CAS on v fails and the caller picks again.
    const uint64_t v = b.version.load(std::memory_order_acquire);
    if ((v & 1) != 0) continue;  // another writer's
    const uint64_t head = HeadAfterAcquire();
    const uint64_t position = b.position.load(std::memory_order_relaxed);
    Victim::Kind kind;
    if (b.serial.load(std::memory_order_relaxed) == 0) {
      kind = Victim::kEmpty;
    } else if (Matches(b, fp)) {
      kind = Victim::kSameKey;
    } else if (b.expiry_nanos.load(std::memory_order_relaxed) <= now) {
      kind = Victim::kExpired;
    } else if (!IsIntact(position, b.length.load(std::memory_order_relaxed),
                         head)) {
      kind = Victim::kOverwritten;
    } else {
      kind = Victim::kLive;
    }
    const int rank = kind == Victim::kSameKey ? 0
                     : kind == Victim::kEmpty ? 1
                     : kind == Victim::kLive  ? 3
                                              : 2;
    // Among live entries, the oldest goes: the ring would drop it next.
    if (rank < best_rank || (rank == best_rank && kind == Victim::kLive &&
                             position < best_position)) {
      best = Victim{&b, v, kind};
      best_rank = rank;
      best_position = position;
    }
  }
  return best;
}

absl::Status ShmCache::Put(std::string_view key, std::string_view value,
                           int64_t ttl_nanos) {
  if (value.size() > max_value_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value of ", value.size(),
        " bytes exceeds the shm cache's max_value_bytes ", max_value_bytes_));
  }
  if (ttl_nanos <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl_nanos must be positive, got ", ttl_nanos));
  }
  const KeyFingerprint fp = FingerprintKey(key);
  const int64_t now = clock_->NowNanos();
  const int64_t expiry = SaturatingAdd(now, ttl_nanos);
  const auto length = static_cast<uint32_t>(value.size());

  // 1. The bytes, before any bucket is touched: a writer killed here only
  // wastes arena space the ring reuses.
  const uint64_t position = Reserve(shm_layout::ReservedBytes(length));
  Hook(WriteStep::kReserved);
  uint64_t serial = 0;
  while (serial == 0) {  // 0 means empty; skip it if the counter wraps
    serial = header_->next_serial.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  const uint64_t checksum = XxHash64(
      value.data(), length,
      shm_layout::EntrySeed(fp.lo, fp.hi, position, length, expiry, serial));
  CopyIn(position, value);
  Hook(WriteStep::kCopied);
  // Lapped while copying (a stall as long as a whole turn of the ring): the
  // value is already overwritten and, worse, part of our copy may have
  // landed on a newer value, whose checksum will now refuse it. Publishing
  // would be pointless. Seq_cst fence: our bytes are globally visible
  // before we load the head, so a writer whose reservation comes later in
  // the head's order writes after them, and its value stays intact.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!IsIntact(position, length,
                header_->arena_head.load(std::memory_order_relaxed))) {
    Count(CounterId::kLappedWrites);
    return absl::OkStatus();  // stored, and already evicted
  }

  // 2. Claim a bucket of the key's set: even -> odd.
  Bucket* const set = SetOf(fp);
  Victim victim;
  for (int attempt = 0; attempt < kMaxClaimAttempts; ++attempt) {
    victim = ChooseVictim(set, fp, now);
    if (victim.bucket == nullptr) break;
    // Acquire: the previous owner's stores happen before ours.
    if (victim.bucket->version.compare_exchange_strong(
            victim.version, victim.version + 1, std::memory_order_acquire,
            std::memory_order_relaxed)) {
      break;
    }
    victim.bucket = nullptr;
  }
  if (victim.bucket == nullptr) {
    Count(CounterId::kPutFailures);
    return absl::UnavailableError(
        "every bucket of the key's index set is being written by others");
  }
  Bucket& b = *victim.bucket;
  const uint64_t claimed = victim.version + 1;
  Hook(WriteStep::kClaimed);
  b.claim_seconds.store(Seconds(now), std::memory_order_relaxed);
  // Release fence: a reader that sees any field stored below sees the odd
  // version when it re-checks.
  std::atomic_thread_fence(std::memory_order_release);

  // 3. The fields, one by one (a crash in between leaves the bucket odd).
  // Each store first checks that the claim still holds, so a writer that
  // stalled past the lease and lost the bucket to Sweep() stops writing.
  bool mine = true;
  const auto store = [&](auto& field, auto field_value) {
    mine = mine && b.version.load(std::memory_order_relaxed) == claimed;
    if (mine) field.store(field_value, std::memory_order_relaxed);
    Hook(WriteStep::kFieldStored);
  };
  store(b.fingerprint_lo, fp.lo);
  store(b.fingerprint_hi, fp.hi);
  store(b.position, position);
  store(b.length, length);
  store(b.expiry_nanos, expiry);
  store(b.serial, serial);
  store(b.checksum, checksum);

  // 4. Publish: odd -> even. Release: whoever acquires the new version sees
  // the fields and the value bytes. Fails only if Sweep() took the bucket
  // from this writer after the lease.
  uint64_t expected = claimed;
  if (!b.version.compare_exchange_strong(expected, claimed + 1,
                                         std::memory_order_release,
                                         std::memory_order_relaxed)) {
    Count(CounterId::kPutFailures);
    return absl::AbortedError(
        "shm cache entry was reclaimed by Sweep() while this writer stalled "
        "beyond the writer lease");
  }
  Hook(WriteStep::kPublished);
  Count(CounterId::kInserts);
  if (victim.kind == Victim::kExpired) {
    Count(CounterId::kExpired);
  } else if (victim.kind == Victim::kOverwritten ||
             victim.kind == Victim::kLive) {
    Count(CounterId::kEvictions);
  }
  RemoveDuplicates(set, fp, serial, &b, claimed + 1);
  return absl::OkStatus();
}

void ShmCache::RemoveDuplicates(Bucket* set, const KeyFingerprint& fp,
                                uint64_t serial, Bucket* mine,
                                uint64_t mine_version) {
  for (uint32_t way = 0; way < kWays; ++way) {
    Bucket& b = set[way];
    if (&b == mine) continue;
    const uint64_t v = b.version.load(std::memory_order_acquire);
    if ((v & 1) != 0 || !Matches(b, fp)) continue;
    const uint64_t s = b.serial.load(std::memory_order_relaxed);
    if (s == 0) continue;
    if (s < serial) {
      Clear(&b, v);  // an older value of the key
    } else {
      Clear(mine, mine_version);  // a newer value won: drop ours
      return;
    }
  }
}

bool ShmCache::Clear(Bucket* bucket, uint64_t version) {
  if ((version & 1) != 0) return false;
  if (!bucket->version.compare_exchange_strong(version, version + 1,
                                               std::memory_order_acquire,
                                               std::memory_order_relaxed)) {
    return false;
  }
  Hook(WriteStep::kClearing);
  bucket->claim_seconds.store(Seconds(clock_->NowNanos()),
                              std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // as in Put()
  ZeroFields(*bucket);
  uint64_t expected = version + 1;
  return bucket->version.compare_exchange_strong(expected, version + 2,
                                                 std::memory_order_release,
                                                 std::memory_order_relaxed);
}

bool ShmCache::Erase(std::string_view key) {
  const KeyFingerprint fp = FingerprintKey(key);
  Bucket* const set = SetOf(fp);
  bool erased = false;
  for (uint32_t way = 0; way < kWays; ++way) {
    Bucket& b = set[way];
    const uint64_t v = b.version.load(std::memory_order_acquire);
    if ((v & 1) != 0 || !Matches(b, fp) ||
        b.serial.load(std::memory_order_relaxed) == 0) {
      continue;
    }
    if (Clear(&b, v)) erased = true;
  }
  return erased;
}

int ShmCache::Sweep() {
  const int64_t now = clock_->NowNanos();
  const uint32_t now_seconds = Seconds(now);
  int removed = 0;
  for (uint64_t i = 0; i < bucket_count_; ++i) {
    Bucket& b = buckets_[i];
    uint64_t v = b.version.load(std::memory_order_acquire);
    if ((v & 1) != 0) {
      // Claimed. Held beyond the lease (or by a clock far off), its writer
      // is presumed dead: take it over while keeping it odd (v + 2), so a
      // stalled writer's publish fails, empty it, release it.
      const auto held = static_cast<int32_t>(
          now_seconds - b.claim_seconds.load(std::memory_order_relaxed));
      if (held <= lease_seconds_ && held >= -lease_seconds_) continue;
      if (!b.version.compare_exchange_strong(
              v, v + 2, std::memory_order_acquire, std::memory_order_relaxed)) {
        continue;
      }
      std::atomic_thread_fence(std::memory_order_release);
      ZeroFields(b);
      uint64_t expected = v + 2;
      if (b.version.compare_exchange_strong(expected, v + 3,
                                            std::memory_order_release,
                                            std::memory_order_relaxed)) {
        Count(CounterId::kLeaseRecoveries);
        ++removed;
      }
      continue;
    }
    if (b.serial.load(std::memory_order_relaxed) == 0) continue;
    if (b.expiry_nanos.load(std::memory_order_relaxed) <= now) {
      if (Clear(&b, v)) {
        Count(CounterId::kExpired);
        ++removed;
      }
    } else if (!IsIntact(b.position.load(std::memory_order_relaxed),
                         b.length.load(std::memory_order_relaxed),
                         HeadAfterAcquire())) {
      if (Clear(&b, v)) {
        Count(CounterId::kEvictions);
        ++removed;
      }
    }
  }
  return removed;
}

ShmCacheStats ShmCache::stats() const {
  ShmCacheStats stats;
  const auto fill = [](ShmCacheCounters* c, auto value_of) {
    c->hits = value_of(CounterId::kHits);
    c->misses = value_of(CounterId::kMisses);
    c->inserts = value_of(CounterId::kInserts);
    c->evictions = value_of(CounterId::kEvictions);
    c->expired = value_of(CounterId::kExpired);
    c->torn_read_retries = value_of(CounterId::kTornReadRetries);
    c->checksum_failures = value_of(CounterId::kChecksumFailures);
    c->lease_recoveries = value_of(CounterId::kLeaseRecoveries);
    c->put_failures = value_of(CounterId::kPutFailures);
    c->lapped_writes = value_of(CounterId::kLappedWrites);
  };
  fill(&stats.segment, [this](CounterId id) {
    return static_cast<int64_t>(
        header_->counters[id].value.load(std::memory_order_relaxed));
  });
  fill(&stats.process, [this](CounterId id) {
    return local_[id].load(std::memory_order_relaxed);
  });
  const int64_t now = clock_->NowNanos();
  for (uint64_t i = 0; i < bucket_count_; ++i) {
    const Bucket& b = buckets_[i];
    if ((b.version.load(std::memory_order_acquire) & 1) != 0 ||
        b.serial.load(std::memory_order_relaxed) == 0 ||
        b.expiry_nanos.load(std::memory_order_relaxed) <= now) {
      continue;
    }
    const uint32_t length = b.length.load(std::memory_order_relaxed);
    if (!IsIntact(b.position.load(std::memory_order_relaxed), length,
                  HeadAfterAcquire())) {
      continue;
    }
    ++stats.entries;
    stats.bytes_used += length;
  }
  stats.segment_bytes = static_cast<int64_t>(segment_->geometry().total_bytes);
  stats.arena_bytes = static_cast<int64_t>(arena_bytes_);
  stats.bucket_count = static_cast<int64_t>(bucket_count_);
  stats.attach_errors = attach_errors();
  return stats;
}

}  // namespace overlay
