// Copyright 2026 The overlay Authors.

#include "core/admission/client_table.h"

#include <gtest/gtest.h>

namespace overlay {
namespace {

ClientTable Table() {
  AdmissionOptions admission;
  admission.default_team = "public";
  admission.teams = {{"green", 2, 0, 0}, {"pink", 1, 0, 0}};
  std::vector<ClientConfig> clients = {
      {"dashboard", "green", 3}, {"batch", "pink", 1}, {"anyone", "", 2}};
  return ClientTable(admission, clients);
}

TEST(ClientTableTest, KnownClientsGetTheirTeamAndWeight) {
  const ClientTable table = Table();
  RequestClass cls = table.Classify("dashboard", "ipv4:10.0.0.1:4242");
  EXPECT_EQ(cls.team, "green");
  EXPECT_EQ(cls.client, "dashboard");
  EXPECT_EQ(cls.client_weight, 3);
  cls = table.Classify("anyone", "");
  EXPECT_EQ(cls.team, "public");  // listed without a team: the default
  EXPECT_EQ(cls.client_weight, 2);
}

TEST(ClientTableTest, UnknownClientsGoToTheDefaultTeam) {
  const ClientTable table = Table();
  const RequestClass cls = table.Classify("stranger", "ipv4:10.0.0.1:4242");
  EXPECT_EQ(cls.team, "public");
  EXPECT_EQ(cls.client, "stranger");
  EXPECT_EQ(cls.client_weight, 1);
}

TEST(ClientTableTest, AnEmptyClientIdMeansThePeerAddress) {
  const ClientTable table = Table();
  const RequestClass cls = table.Classify("", "ipv4:10.0.0.1:4242");
  EXPECT_EQ(cls.client, "ipv4:10.0.0.1:4242");
  EXPECT_EQ(cls.team, "public");
}

TEST(ClientTableTest, FromWireKeepsADeclaredTeam) {
  const ClientTable table = Table();
  EXPECT_EQ(table.FromWire("pink", "dashboard").team, "pink");
  EXPECT_EQ(table.FromWire("pink", "dashboard").client_weight, 3);
  EXPECT_EQ(table.FromWire("nope", "dashboard").team, "green");
  EXPECT_EQ(table.FromWire("", "ipv4:1.2.3.4:5").team, "public");
  EXPECT_EQ(table.FromWire("public", "x").team, "public");
}

TEST(ClientTableTest, BuildsFromAConfig) {
  OverlayConfig config;
  config.clients = {{"a", "", 1}};
  const ClientTable table(config);
  EXPECT_EQ(table.default_team(), "default");
  EXPECT_EQ(table.Classify("a", "").team, "default");
}

}  // namespace
}  // namespace overlay
