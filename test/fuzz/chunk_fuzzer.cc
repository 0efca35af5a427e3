// Copyright 2026 The overlay Authors.
//
// DecodeChunk over arbitrary RecordChunk bytes, as a client or portal gets
// them from a hostile peer: lengths, dictionary indexes, missing bits,
// times, decoded size. Every decoded record must render as one valid JSON
// object of 13 members (RecordToJson, what overlay_client prints).

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/wire/chunk_codec.h"
#include "glog/logging.h"
#include "protos/overlay.pb.h"

namespace {

// A strict check of the one shape RecordToJson writes: a flat object of
// string keys and string, number or null values. (rapidjson itself is not
// clean under UBSan: its stack offsets a null pointer.)
class FlatJson {
 public:
  explicit FlatJson(std::string_view text) : text_(text) {}

  // Members of the object, or -1 if `text` is not exactly one such object.
  int Members() {
    if (!Eat('{')) return -1;
    int members = 0;
    if (Eat('}')) return End() ? 0 : -1;
    do {
      if (!String() || !Eat(':') || !Value()) return -1;
      ++members;
    } while (Eat(','));
    return Eat('}') && End() ? members : -1;
  }

 private:
  bool End() const { return pos_ == text_.size(); }
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }
  bool Value() {
    if (text_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return true;
    }
    if (pos_ < text_.size() && text_[pos_] == '"') return String();
    Eat('-');
    if (!Digits()) return false;
    if (Eat('.') && !Digits()) return false;
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!Digits()) return false;
    }
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (pos_ < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++pos_) {
          if (pos_ >= text_.size() ||
              std::strchr("0123456789abcdefABCDEF", text_[pos_]) == nullptr) {
            return false;
          }
        }
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == 0) {
        return false;
      }
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);  // protobuf's own parse errors
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  overlay::v1::RecordChunk chunk;
  if (!chunk.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<std::vector<overlay::Record>> records =
      overlay::DecodeChunk(chunk);
  if (!records.ok()) {
    CHECK(records.status().code() == absl::StatusCode::kInvalidArgument)
        << records.status();
    return 0;
  }
  CHECK_EQ(records->size(), static_cast<size_t>(overlay::RecordCount(chunk)));
  for (const overlay::Record& record : *records) {
    const std::string json = overlay::RecordToJson(record);
    CHECK_EQ(FlatJson(json).Members(), 13) << json;
  }
  return 0;
}
