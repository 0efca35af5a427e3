// Copyright 2026 The overlay Authors.

#include "core/admission/client_table.h"

#include "absl/strings/string_view.h"

namespace overlay {
namespace {

absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

ClientTable::ClientTable(const OverlayConfig& config)
    : ClientTable(config.admission, config.clients) {}

ClientTable::ClientTable(const AdmissionOptions& admission,
                         const std::vector<ClientConfig>& clients)
    : default_team_(admission.default_team) {
  teams_.insert(default_team_);
  for (const TeamConfig& team : admission.teams) teams_.insert(team.name);
  for (const ClientConfig& client : clients) {
    clients_[client.id] =
        Known{client.team.empty() ? default_team_ : client.team, client.weight};
  }
}

RequestClass ClientTable::Classify(std::string_view client_id,
                                   std::string_view peer) const {
  RequestClass cls;
  cls.client = std::string(client_id.empty() ? peer : client_id);
  auto it = clients_.find(AbslView(cls.client));
  if (it == clients_.end()) {
    cls.team = default_team_;
  } else {
    cls.team = it->second.team;
    cls.client_weight = it->second.weight;
  }
  return cls;
}

RequestClass ClientTable::FromWire(std::string_view team,
                                   std::string_view client) const {
  RequestClass cls = Classify(client, /*peer=*/"");
  if (teams_.contains(AbslView(team))) cls.team = std::string(team);
  return cls;
}

}  // namespace overlay
