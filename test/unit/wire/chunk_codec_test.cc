// Copyright 2026 The overlay Authors.

#include "core/wire/chunk_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/store/record.h"
#include "core/store/table.h"
#include "rapidjson/document.h"
#include "test/test_util/status_matchers.h"

namespace overlay {
namespace {

using ::testing::HasSubstr;

int64_t Utc(const char* text) {
  absl::StatusOr<UnixSeconds> seconds = ParseUtc(text);
  EXPECT_TRUE(seconds.ok()) << seconds.status();
  return seconds.value_or(0);
}

Record CrescentCity() {
  Record r;
  r.latitude = 41.75613;
  r.longitude = -124.20347;
  r.utc = Utc("2020-08-10T01:00");
  r.parameter = "PM2.5";
  r.concentration = 17.3;
  r.unit = "UG/M3";
  r.raw_concentration = 18.0;
  r.aqi = 62;
  r.category = 2;
  r.site_name = "Crescent City";
  r.agency = "North Coast Unified Air Quality Management District";
  r.aqs_id = "840060150007";
  r.full_aqs_id = "840060150007";
  return r;
}

// A site whose name holds a comma and a quote.
Record Portland() {
  Record r;
  r.latitude = 45.496641;
  r.longitude = -122.602877;
  r.utc = Utc("2020-09-12T17:00");
  r.parameter = "PM10";
  r.concentration = 0.1;
  r.unit = "UG/M3";
  r.raw_concentration = 1e-300;
  r.aqi = 4;
  r.category = 1;
  r.site_name = "Portland, \"SE\" Lafayette";
  r.agency = "Oregon DEQ";
  r.aqs_id = "410510080";
  r.full_aqs_id = "840410510080";
  return r;
}

// The test table: missing values, an unknown parameter, repeated sites.
std::vector<Record> TestRecords() {
  std::vector<Record> records;
  records.push_back(CrescentCity());  // 0
  Record missing = CrescentCity();    // 1: same site, everything missing
  missing.utc = Utc("2020-08-10T02:00");
  missing.parameter = "OZONE";
  missing.unit = "PPB";
  missing.concentration.reset();
  missing.raw_concentration.reset();
  missing.aqi.reset();
  missing.category.reset();
  records.push_back(missing);
  records.push_back(Portland());  // 2
  Record unknown = Portland();    // 3: a parameter the store does not know
  unknown.parameter = "BC";
  unknown.concentration = -0.25;
  unknown.aqi.reset();
  unknown.category = 6;
  records.push_back(unknown);
  Record other;  // 4: a third site; AQI but no category
  other.latitude = -33.5;
  other.longitude = 151.25;
  other.utc = Utc("2020-09-24T23:00");
  other.parameter = "NO2";
  other.concentration = 12;
  other.unit = "PPB";
  other.raw_concentration = 12.5;
  other.aqi = 11;
  other.site_name = "Montréal\tÉst";
  other.agency = "Back\\slash Agency";
  other.aqs_id = "000000001";
  other.full_aqs_id = "124000000001";
  records.push_back(other);
  Record co = CrescentCity();  // 5
  co.parameter = "CO";
  co.unit = "PPM";
  co.concentration = 0.3;
  co.raw_concentration = 0.31;
  records.push_back(co);
  return records;
}

Table BuildTable(const std::vector<Record>& records) {
  TableBuilder builder;
  for (const Record& record : records) builder.AddRecord(record);
  return builder.Build();
}

class ChunkCodecTest : public ::testing::Test {
 protected:
  ChunkCodecTest() : records_(TestRecords()), table_(BuildTable(records_)) {}

  // Encodes `rows`, decodes them, and checks each against GetRecord.
  void ExpectRoundTrip(const std::vector<uint32_t>& rows) {
    v1::RecordChunk chunk;
    EncodeChunk(table_, rows, &chunk);
    EXPECT_EQ(RecordCount(chunk), static_cast<int>(rows.size()));
    ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
    ASSERT_EQ(decoded.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(decoded[i], table_.GetRecord(rows[i]))
          << "row " << rows[i] << ": " << DebugString(decoded[i]) << " vs "
          << DebugString(table_.GetRecord(rows[i]));
    }
  }

  std::vector<Record> records_;
  Table table_;
};

TEST_F(ChunkCodecTest, TableKeepsTheRecords) {
  ASSERT_EQ(table_.num_rows(), records_.size());
  for (size_t i = 0; i < records_.size(); ++i) {
    EXPECT_EQ(table_.GetRecord(i), records_[i]) << "row " << i;
  }
}

TEST_F(ChunkCodecTest, EveryRowRoundTrips) {
  ExpectRoundTrip({0, 1, 2, 3, 4, 5});
  // And decoding gives back exactly what went into the table.
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{0, 1, 2, 3, 4, 5}, &chunk);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  EXPECT_EQ(decoded, records_);
}

TEST_F(ChunkCodecTest, ChosenRowsInAnyOrderRoundTrip) {
  ExpectRoundTrip({4, 0});
  ExpectRoundTrip({5, 3, 1});
  ExpectRoundTrip({2, 2, 2});
  ExpectRoundTrip({1});
}

TEST_F(ChunkCodecTest, RepeatedSitesAppearOnceInTheChunk) {
  // Rows 0, 1 and 5 share Crescent City; 2 and 3 share Portland.
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{0, 2, 1, 3, 5, 0}, &chunk);
  ASSERT_EQ(chunk.sites_size(), 2);
  EXPECT_EQ(chunk.sites(0).site_name(), "Crescent City");
  EXPECT_EQ(chunk.sites(1).site_name(), "Portland, \"SE\" Lafayette");
  EXPECT_THAT(chunk.site(), ::testing::ElementsAre(0, 1, 0, 1, 0, 0));
  std::set<std::string> names;
  for (const v1::Site& site : chunk.sites()) names.insert(site.full_aqs_id());
  EXPECT_EQ(names.size(), static_cast<size_t>(chunk.sites_size()));
}

TEST_F(ChunkCodecTest, MissingValuesAreFlaggedAndZeroed) {
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{1, 0, 4}, &chunk);
  const uint32_t all = v1::RecordChunk::MISSING_CONCENTRATION |
                       v1::RecordChunk::MISSING_RAW_CONCENTRATION |
                       v1::RecordChunk::MISSING_AQI |
                       v1::RecordChunk::MISSING_CATEGORY;
  EXPECT_EQ(chunk.missing(0), all);
  EXPECT_EQ(chunk.concentration(0), 0);
  EXPECT_EQ(chunk.raw_concentration(0), 0);
  EXPECT_EQ(chunk.aqi(0), 0);
  EXPECT_EQ(chunk.category(0), 0);
  EXPECT_EQ(chunk.missing(1), 0u);
  EXPECT_EQ(chunk.missing(2), v1::RecordChunk::MISSING_CATEGORY);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  EXPECT_FALSE(decoded[0].concentration.has_value());
  EXPECT_FALSE(decoded[0].raw_concentration.has_value());
  EXPECT_FALSE(decoded[0].aqi.has_value());
  EXPECT_FALSE(decoded[0].category.has_value());
  EXPECT_EQ(decoded[2].aqi, 11);
  EXPECT_FALSE(decoded[2].category.has_value());
}

TEST_F(ChunkCodecTest, UnknownParameterNameSurvives) {
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{3}, &chunk);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded[0].parameter, "BC");
  EXPECT_EQ(decoded[0].concentration, -0.25);
}

TEST_F(ChunkCodecTest, EmptyRowListGivesAnEmptyChunk) {
  v1::RecordChunk chunk;
  EncodeChunk(table_, {}, &chunk);
  EXPECT_EQ(RecordCount(chunk), 0);
  EXPECT_EQ(chunk.sites_size(), 0);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  EXPECT_TRUE(decoded.empty());
  ASSERT_OK_AND_ASSIGN(decoded, DecodeChunk(v1::RecordChunk()));
  EXPECT_TRUE(decoded.empty());
}

TEST_F(ChunkCodecTest, EncodeReplacesThePreviousContents) {
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{0, 1, 2, 3}, &chunk);
  EncodeChunk(table_, std::vector<uint32_t>{4}, &chunk);
  EXPECT_EQ(RecordCount(chunk), 1);
  EXPECT_EQ(chunk.sites_size(), 1);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded[0], records_[4]);
}

TEST_F(ChunkCodecTest, SurvivesTheWire) {
  v1::RecordChunk chunk;
  EncodeChunk(table_, std::vector<uint32_t>{5, 4, 3, 2, 1, 0}, &chunk);
  v1::RecordChunk parsed;
  ASSERT_TRUE(parsed.ParseFromString(chunk.SerializeAsString()));
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(parsed));
  ASSERT_EQ(decoded.size(), 6u);
  for (size_t i = 0; i < decoded.size(); ++i) {
    EXPECT_EQ(decoded[i], records_[5 - i]);
  }
}

v1::RecordChunk ValidChunk(const Table& table) {
  v1::RecordChunk chunk;
  EncodeChunk(table, std::vector<uint32_t>{0, 2, 4}, &chunk);
  return chunk;
}

TEST_F(ChunkCodecTest, DecodeRejectsColumnsOfDifferentLengths) {
  const std::vector<std::pair<const char*, void (*)(v1::RecordChunk*)>>
      corruptions = {
          {"utc", [](v1::RecordChunk* c) { c->add_utc_seconds(0); }},
          {"parameter",
           [](v1::RecordChunk* c) { c->mutable_parameter()->RemoveLast(); }},
          {"concentration",
           [](v1::RecordChunk* c) {
             c->mutable_concentration()->RemoveLast();
           }},
          {"unit", [](v1::RecordChunk* c) { c->add_unit(0); }},
          {"raw",
           [](v1::RecordChunk* c) {
             c->mutable_raw_concentration()->RemoveLast();
           }},
          {"aqi", [](v1::RecordChunk* c) { c->add_aqi(1); }},
          {"category", [](v1::RecordChunk* c) { c->clear_category(); }},
          {"missing",
           [](v1::RecordChunk* c) { c->mutable_missing()->RemoveLast(); }},
          {"site", [](v1::RecordChunk* c) { c->add_site(0); }},
      };
  for (const auto& [name, corrupt] : corruptions) {
    SCOPED_TRACE(name);
    v1::RecordChunk chunk = ValidChunk(table_);
    corrupt(&chunk);
    absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(),
                HasSubstr("columns have different lengths"));
  }
}

TEST_F(ChunkCodecTest, DecodeRejectsOutOfRangeDictionaryIndices) {
  const std::vector<std::pair<const char*, void (*)(v1::RecordChunk*)>>
      corruptions = {
          {"site", [](v1::RecordChunk* c) { c->set_site(1, 3); }},
          {"site huge", [](v1::RecordChunk* c) { c->set_site(1, 0xFFFFFFFF); }},
          {"parameter",
           [](v1::RecordChunk* c) {
             c->set_parameter(1, c->parameter_names_size());
           }},
          {"unit",
           [](v1::RecordChunk* c) { c->set_unit(1, c->unit_names_size()); }},
          {"no sites", [](v1::RecordChunk* c) { c->clear_sites(); }},
      };
  for (const auto& [name, corrupt] : corruptions) {
    SCOPED_TRACE(name);
    v1::RecordChunk chunk = ValidChunk(table_);
    corrupt(&chunk);
    absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr("past a dictionary"));
  }
  v1::RecordChunk chunk = ValidChunk(table_);
  chunk.set_unit(2, 99);
  EXPECT_THAT(DecodeChunk(chunk).status().message(), HasSubstr("record 2"));
}

const std::vector<std::string>& JsonKeys() {
  static const auto* keys = new std::vector<std::string>{
      "latitude",          "longitude",     "utc",
      "parameter",         "concentration", "unit",
      "raw_concentration", "aqi",           "category",
      "site_name",         "agency",        "aqs_id",
      "full_aqs_id"};
  return *keys;
}

TEST_F(ChunkCodecTest, DecodeRejectsUnknownMissingBitsAndWildTimes) {
  {
    v1::RecordChunk chunk = ValidChunk(table_);
    chunk.set_missing(2, chunk.missing(2) | 0x40);
    absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(decoded.status().message(),
              "corrupt chunk: record 2 has unknown missing bits 0x40");
  }
  for (int64_t utc :
       {std::numeric_limits<int64_t>::min(),
        std::numeric_limits<int64_t>::max(), int64_t{253'402'300'800}}) {
    v1::RecordChunk chunk = ValidChunk(table_);
    chunk.set_utc_seconds(1, utc);
    absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(),
                HasSubstr("record 1 has time " + std::to_string(utc)));
  }
  // Every bit the encoder sets is fine, and so are the extreme years.
  v1::RecordChunk chunk = ValidChunk(table_);
  chunk.set_missing(0, 15);
  chunk.set_utc_seconds(0, -62'167'219'200);
  chunk.set_utc_seconds(1, 253'402'300'799);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> decoded, DecodeChunk(chunk));
  EXPECT_EQ(FormatUtc(decoded[0].utc), "0000-01-01T00:00");
  EXPECT_EQ(FormatUtc(decoded[1].utc), "9999-12-31T23:59");
  EXPECT_FALSE(decoded[0].concentration.has_value());
}

// A hostile chunk of a few MiB whose records all name one site with a huge
// name would decode to gigabytes: refused before anything is allocated.
TEST_F(ChunkCodecTest, DecodeRefusesChunksThatBlowUp) {
  v1::RecordChunk chunk;
  v1::Site* site = chunk.add_sites();
  site->set_site_name(std::string(1 << 20, 'n'));  // 1 MiB
  chunk.add_parameter_names("PM2.5");
  chunk.add_unit_names("UG/M3");
  for (int i = 0; i < 100; ++i) {  // 100 MiB of copies
    chunk.add_site(0);
    chunk.add_utc_seconds(0);
    chunk.add_parameter(0);
    chunk.add_concentration(1);
    chunk.add_unit(0);
    chunk.add_raw_concentration(1);
    chunk.add_aqi(1);
    chunk.add_category(1);
    chunk.add_missing(0);
  }
  absl::StatusOr<std::vector<Record>> decoded = DecodeChunk(chunk);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(),
              HasSubstr("records decode to more than 64 MiB"));
  // 60 of them (60 MiB) still decode.
  for (auto* column : {chunk.mutable_site(), chunk.mutable_parameter(),
                       chunk.mutable_unit(), chunk.mutable_missing()}) {
    column->Truncate(60);
  }
  chunk.mutable_utc_seconds()->Truncate(60);
  chunk.mutable_concentration()->Truncate(60);
  chunk.mutable_raw_concentration()->Truncate(60);
  chunk.mutable_aqi()->Truncate(60);
  chunk.mutable_category()->Truncate(60);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeChunk(chunk));
  EXPECT_EQ(records.size(), 60u);
}

TEST(RecordToJsonTest, ExactLine) {
  EXPECT_EQ(RecordToJson(CrescentCity()),
            "{\"latitude\":41.75613,\"longitude\":-124.20347,"
            "\"utc\":\"2020-08-10T01:00\",\"parameter\":\"PM2.5\","
            "\"concentration\":17.3,\"unit\":\"UG/M3\","
            "\"raw_concentration\":18,\"aqi\":62,\"category\":2,"
            "\"site_name\":\"Crescent City\","
            "\"agency\":\"North Coast Unified Air Quality Management "
            "District\",\"aqs_id\":\"840060150007\","
            "\"full_aqs_id\":\"840060150007\"}");
}

TEST(RecordToJsonTest, ValidJsonWithKeysInOrderAndNulls) {
  for (const Record& record : TestRecords()) {
    const std::string json = RecordToJson(record);
    SCOPED_TRACE(json);
    EXPECT_EQ(json.find('\n'), std::string::npos);  // one line
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    ASSERT_FALSE(doc.HasParseError());
    ASSERT_TRUE(doc.IsObject());
    std::vector<std::string> keys;
    for (const auto& member : doc.GetObject()) {
      keys.push_back(member.name.GetString());
    }
    EXPECT_EQ(keys, JsonKeys());
    EXPECT_EQ(doc["latitude"].GetDouble(), record.latitude);
    EXPECT_EQ(doc["longitude"].GetDouble(), record.longitude);
    EXPECT_EQ(doc["utc"].GetString(), FormatUtc(record.utc));
    EXPECT_EQ(doc["parameter"].GetString(), record.parameter);
    EXPECT_EQ(doc["site_name"].GetString(), record.site_name);
    EXPECT_EQ(doc["agency"].GetString(), record.agency);
    EXPECT_EQ(doc["full_aqs_id"].GetString(), record.full_aqs_id);
    if (record.concentration) {
      EXPECT_EQ(doc["concentration"].GetDouble(), *record.concentration);
    } else {
      EXPECT_TRUE(doc["concentration"].IsNull());
    }
    if (record.raw_concentration) {
      EXPECT_EQ(doc["raw_concentration"].GetDouble(),
                *record.raw_concentration);
    } else {
      EXPECT_TRUE(doc["raw_concentration"].IsNull());
    }
    if (record.aqi) {
      EXPECT_EQ(doc["aqi"].GetInt(), *record.aqi);
    } else {
      EXPECT_TRUE(doc["aqi"].IsNull());
    }
    if (record.category) {
      EXPECT_EQ(doc["category"].GetInt(), *record.category);
    } else {
      EXPECT_TRUE(doc["category"].IsNull());
    }
  }
}

TEST(RecordToJsonTest, MissingValuesAreNull) {
  Record record = CrescentCity();
  record.concentration.reset();
  record.raw_concentration.reset();
  record.aqi.reset();
  record.category.reset();
  const std::string json = RecordToJson(record);
  EXPECT_THAT(json, HasSubstr("\"concentration\":null,"));
  EXPECT_THAT(json, HasSubstr("\"raw_concentration\":null,"));
  EXPECT_THAT(json, HasSubstr("\"aqi\":null,\"category\":null,"));
}

TEST(JsonQuoteTest, Escapes) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("Portland, \"SE\""), "\"Portland, \\\"SE\\\"\"");
  EXPECT_EQ(JsonQuote("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(JsonQuote("l1\nl2\r\tx"), "\"l1\\nl2\\r\\tx\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(JsonQuote("/"), "\"/\"");
  // UTF-8 and DEL pass through untouched.
  EXPECT_EQ(JsonQuote("Montréal"), "\"Montréal\"");
  EXPECT_EQ(JsonQuote("\x7f"), "\"\x7f\"");
}

TEST(JsonQuoteTest, EveryByteGivesValidJson) {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  const std::string quoted = JsonQuote(all);
  rapidjson::Document doc;
  doc.Parse(quoted.c_str(), quoted.size());
  ASSERT_FALSE(doc.HasParseError()) << quoted;
  ASSERT_TRUE(doc.IsString());
  EXPECT_EQ(std::string(doc.GetString(), doc.GetStringLength()), all);
}

TEST(FormatDoubleTest, ShortestForms) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(17.3), "17.3");
  EXPECT_EQ(FormatDouble(-124.20347), "-124.20347");
  EXPECT_EQ(FormatDouble(18.0), "18");
  EXPECT_EQ(FormatDouble(0), "0");
  EXPECT_EQ(FormatDouble(1e-300), "1e-300");
}

TEST(FormatDoubleTest, RoundTripsExactly) {
  for (double value :
       {0.1, 17.3, -124.20347, 41.75613, 1e-300, 0.30000000000000004, 1.0 / 3,
        -0.0, 123456789.125, 6.02214076e23, 2.2250738585072014e-308,
        std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest()}) {
    const std::string text = FormatDouble(value);
    const double back = std::strtod(text.c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&back, &value, sizeof(double)), 0)
        << value << " -> " << text;
  }
}

TEST(FormatDoubleTest, NonFiniteIsNull) {
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "null");
}

}  // namespace
}  // namespace overlay
