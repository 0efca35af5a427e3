// Copyright 2026 The overlay Authors.
//
// QueryIds: result handles that cannot be guessed: "<node id>-" and 128
// random bits from the kernel's CSPRNG (getrandom), in hex. A handle alone
// is not enough to read a result (results are also bound to their client),
// but guessing one must not even find it. Thread-safe.

#ifndef OVERLAY_NODES_QUERY_IDS_H_
#define OVERLAY_NODES_QUERY_IDS_H_

#include <string>

namespace overlay {

class QueryIds final {
 public:
  explicit QueryIds(std::string node_id) : prefix_(node_id + "-") {}
  QueryIds(const QueryIds&) = delete;
  QueryIds& operator=(const QueryIds&) = delete;

  std::string Next() const;

 private:
  const std::string prefix_;
};

}  // namespace overlay

#endif  // OVERLAY_NODES_QUERY_IDS_H_
