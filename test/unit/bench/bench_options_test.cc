// Copyright 2026 The overlay Authors.
//
// --client specs (ParseClientSpec), how a client's options derive from the
// run's (OptionsForClient), and the validation of both.

#include "tools/bench/bench_options.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/test_util/status_matchers.h"

namespace overlay::bench {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<ClientSpec> spec = ParseClientSpec(text);
  if (spec.ok()) {
    ADD_FAILURE() << "parsed: " << text;
    return "";
  }
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(ParseClientSpecTest, NameAlone) {
  ASSERT_OK_AND_ASSIGN(ClientSpec spec, ParseClientSpec("light"));
  EXPECT_EQ(spec.name, "light");
  EXPECT_FALSE(spec.rate.has_value());
  EXPECT_FALSE(spec.concurrency.has_value());
  EXPECT_FALSE(spec.duration_s.has_value());
  EXPECT_FALSE(spec.requests.has_value());
  EXPECT_TRUE(spec.query.empty());
}

TEST(ParseClientSpecTest, EveryKey) {
  ASSERT_OK_AND_ASSIGN(
      ClientSpec spec,
      ParseClientSpec("heavy-1.a:rate=3000,concurrency=64,duration=2.5,"
                      "requests=100,channels=3,parallel=4,deadline=250"));
  EXPECT_EQ(spec.name, "heavy-1.a");
  EXPECT_EQ(spec.rate, 3000);
  EXPECT_EQ(spec.concurrency, 64);
  EXPECT_EQ(spec.duration_s, 2.5);
  EXPECT_EQ(spec.requests, 100);
  EXPECT_EQ(spec.channels, 3);
  EXPECT_EQ(spec.parallel, 4);
  EXPECT_EQ(spec.deadline_ms, 250);
}

// query= takes the rest of the text: query words may hold commas.
TEST(ParseClientSpecTest, QueryTakesTheRest) {
  ASSERT_OK_AND_ASSIGN(
      ClientSpec spec,
      ParseClientSpec("c:rate=5,query=query --param PM2.5,NO2 --min 1"));
  EXPECT_EQ(spec.rate, 5);
  EXPECT_EQ(spec.query, "query --param PM2.5,NO2 --min 1");
  ASSERT_OK_AND_ASSIGN(ClientSpec file,
                       ParseClientSpec("c:query_file=/tmp/a,b.txt"));
  EXPECT_EQ(file.query_file, "/tmp/a,b.txt");
}

TEST(ParseClientSpecTest, Errors) {
  EXPECT_THAT(ErrorOf(":rate=1"), HasSubstr("needs a name"));
  EXPECT_THAT(ErrorOf("a b:rate=1"), HasSubstr("name may only hold"));
  EXPECT_THAT(ErrorOf("a:rate"), HasSubstr("expected KEY=VALUE"));
  EXPECT_THAT(ErrorOf("a:rate=fast"), HasSubstr("rate: not a number"));
  EXPECT_THAT(ErrorOf("a:rate=inf"), HasSubstr("rate: not a number"));
  EXPECT_THAT(ErrorOf("a:concurrency=2.5"),
              HasSubstr("concurrency: not an integer"));
  EXPECT_THAT(ErrorOf("a:requests=x"), HasSubstr("requests: not an integer"));
  EXPECT_THAT(ErrorOf("a:speed=3"), HasSubstr("unknown key 'speed'"));
  EXPECT_THAT(ErrorOf("a:rate=1,rate=2"), HasSubstr("rate given twice"));
  EXPECT_THAT(ErrorOf("a:query="), HasSubstr("query is empty"));
  EXPECT_THAT(ErrorOf("a:channels=-1"), HasSubstr("channels: out of range"));
  // The message names the whole flag value.
  EXPECT_THAT(ErrorOf("a:speed=3"), HasSubstr("--client 'a:speed=3'"));
}

BenchOptions RunDefaults() {
  BenchOptions run;
  run.requests = 1000;
  run.concurrency = 10;
  run.channels = 4;
  run.deadline_ms = 30000;
  run.client_id = "ignored";
  run.clients.push_back(ClientSpec{});
  return run;
}

TEST(OptionsForClientTest, InheritsTheRunAndSetsTheClientId) {
  ClientSpec spec;
  spec.name = "plain";
  const BenchOptions options = OptionsForClient(RunDefaults(), spec);
  EXPECT_EQ(options.client_id, "plain");
  EXPECT_TRUE(options.clients.empty());
  EXPECT_EQ(options.requests, 1000);
  EXPECT_EQ(options.concurrency, 10);
  EXPECT_EQ(options.rate, 0);
  EXPECT_EQ(options.channels, 4);
  EXPECT_EQ(options.parallel, 1);
  EXPECT_EQ(options.deadline_ms, 30000);
}

TEST(OptionsForClientTest, RateMakesAnOpenLoopWithTheOpenLoopCap) {
  ASSERT_OK_AND_ASSIGN(ClientSpec spec, ParseClientSpec("h:rate=3000"));
  BenchOptions options = OptionsForClient(RunDefaults(), spec);
  EXPECT_EQ(options.rate, 3000);
  EXPECT_EQ(options.concurrency, kDefaultOpenLoopCap);
  ASSERT_OK_AND_ASSIGN(spec, ParseClientSpec("h:rate=3000,concurrency=7"));
  options = OptionsForClient(RunDefaults(), spec);
  EXPECT_EQ(options.concurrency, 7);
}

TEST(OptionsForClientTest, ConcurrencyAloneMakesAClosedLoop) {
  BenchOptions run = RunDefaults();
  run.rate = 500;  // the run's default is open loop
  run.concurrency = kDefaultOpenLoopCap;
  ASSERT_OK_AND_ASSIGN(ClientSpec spec, ParseClientSpec("c:concurrency=3"));
  const BenchOptions options = OptionsForClient(run, spec);
  EXPECT_EQ(options.rate, 0);
  EXPECT_EQ(options.concurrency, 3);
  ClientSpec plain;
  plain.name = "p";
  EXPECT_EQ(OptionsForClient(run, plain).rate, 500);  // inherited
}

TEST(OptionsForClientTest, DurationAloneIsBoundedByTime) {
  ASSERT_OK_AND_ASSIGN(ClientSpec spec, ParseClientSpec("d:duration=2"));
  BenchOptions options = OptionsForClient(RunDefaults(), spec);
  EXPECT_EQ(options.duration_s, 2);
  EXPECT_EQ(options.requests, 0);
  EXPECT_EQ(PlannedRequests(options), -1);
  ASSERT_OK_AND_ASSIGN(spec, ParseClientSpec("d:duration=2,requests=9"));
  options = OptionsForClient(RunDefaults(), spec);
  EXPECT_EQ(options.requests, 9);
  ASSERT_OK_AND_ASSIGN(spec, ParseClientSpec("d:rate=10,duration=2"));
  EXPECT_EQ(PlannedRequests(OptionsForClient(RunDefaults(), spec)), 20);
}

TEST(ValidateBenchOptionsTest, ParallelRange) {
  BenchOptions options;
  options.parallel = 0;
  EXPECT_THAT(std::string(ValidateBenchOptions(options).message()),
              HasSubstr("parallel must be in [1, 64]"));
  options.parallel = kMaxParallel + 1;
  EXPECT_FALSE(ValidateBenchOptions(options).ok());
  options.parallel = kMaxParallel;
  EXPECT_OK(ValidateBenchOptions(options));
}

TEST(ValidateBenchOptionsTest, ClientsAreNamedOnceAndValidEach) {
  BenchOptions options;
  ASSERT_OK_AND_ASSIGN(ClientSpec a, ParseClientSpec("a:rate=10"));
  ASSERT_OK_AND_ASSIGN(ClientSpec b, ParseClientSpec("b:concurrency=2"));
  options.clients = {a, b};
  EXPECT_OK(ValidateBenchOptions(options));
  options.clients = {a, a};
  EXPECT_THAT(std::string(ValidateBenchOptions(options).message()),
              HasSubstr("client 'a' given twice"));
  ASSERT_OK_AND_ASSIGN(ClientSpec bad, ParseClientSpec("z:concurrency=0"));
  options.clients = {a, bad};
  const absl::Status status = ValidateBenchOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("client 'z': concurrency must be >= 1"));
  ClientSpec unnamed;
  options.clients = {unnamed};
  EXPECT_FALSE(ValidateBenchOptions(options).ok());
}

}  // namespace
}  // namespace overlay::bench
