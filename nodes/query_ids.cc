// Copyright 2026 The overlay Authors.

#include "nodes/query_ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>

#include "glog/logging.h"

namespace overlay {

std::string QueryIds::Next() const {
  uint8_t bits[16];
  size_t got = 0;
  while (got < sizeof(bits)) {
    const ssize_t n = getrandom(bits + got, sizeof(bits) - got, 0);
    if (n < 0) {
      // Only EINTR is possible once the pool is initialised (it is, long
      // before a node serves).
      PCHECK(errno == EINTR) << "getrandom";
      continue;
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix_;
  id.reserve(prefix_.size() + 2 * sizeof(bits));
  for (uint8_t byte : bits) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 15]);
  }
  return id;
}

}  // namespace overlay
