// Copyright 2026 The overlay Authors.
//
// GeneratedData: one small generated data set (the real files' format, all
// 46 days, a few days skipped) and its direct-scan table, made once per
// test process and removed at exit. DirectScan is the reference every
// overlay answer is compared with, record for record. Thread-safe after
// the first Get().

#ifndef OVERLAY_TEST_TEST_UTIL_GENERATED_DATA_H_
#define OVERLAY_TEST_TEST_UTIL_GENERATED_DATA_H_

#include <string>
#include <vector>

#include "core/store/filter.h"
#include "core/store/record.h"
#include "core/store/table.h"

namespace overlay::testing {

class GeneratedData final {
 public:
  static GeneratedData& Get();
  GeneratedData(const GeneratedData&) = delete;
  GeneratedData& operator=(const GeneratedData&) = delete;

  const std::string& root() const { return root_; }
  const Table& table() const { return table_; }
  // The records `filter` selects from the whole data set, in result order.
  std::vector<Record> DirectScan(const Filter& filter) const;

 private:
  GeneratedData();
  ~GeneratedData();
  std::string dir_;
  std::string root_;
  Table table_;
};

}  // namespace overlay::testing

#endif  // OVERLAY_TEST_TEST_UTIL_GENERATED_DATA_H_
