// Copyright 2026 The overlay Authors.

#include "core/reactor/done_tags.h"

namespace overlay {

void DoneTag::Proceed(bool ok) {
  if (orphans_ != nullptr) {  // the call that asked for it is gone
    orphans_->Remove(this);
    delete this;
    return;
  }
  target_->Proceed(ok);
}

void DoneTag::Orphan(DoneTagOrphans* orphans) {
  orphans_ = orphans;
  orphans->Add(this);
}

DoneTagOrphans::~DoneTagOrphans() {
  absl::MutexLock lock(&mu_);
  for (DoneTag* tag : tags_) delete tag;
  tags_.clear();
}

int DoneTagOrphans::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(tags_.size());
}

void DoneTagOrphans::Add(DoneTag* tag) {
  absl::MutexLock lock(&mu_);
  tags_.insert(tag);
}

void DoneTagOrphans::Remove(DoneTag* tag) {
  absl::MutexLock lock(&mu_);
  tags_.erase(tag);
}

}  // namespace overlay
