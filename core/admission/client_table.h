// Copyright 2026 The overlay Authors.
//
// ClientTable: who a request is for. A request's admission class is its
// team and its client: the client is the caller's client_id, or its peer
// address when that is empty; the team comes from the config's `clients`
// table, and clients it does not list go to admission.default_team (weight
// 1). Nodes deeper in the overlay classify by the class the portal passed
// along (FromWire), so every node queues a request by the same class.
// Owns a copy of the table. Immutable after construction; thread-safe.
//
//   ClientTable table(config);
//   RequestClass cls = table.Classify(request.client_id(), context.peer());

#ifndef OVERLAY_CORE_ADMISSION_CLIENT_TABLE_H_
#define OVERLAY_CORE_ADMISSION_CLIENT_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/config/overlay_config.h"

namespace overlay {

// The class a request is admitted (and queued, and counted) as.
struct RequestClass {
  std::string team;       // a declared team or the default team
  std::string client;     // the client_id, else the peer address
  int client_weight = 1;  // the client's share within its team
};

class ClientTable final {
 public:
  // REQUIRES: a validated config (ValidateOverlayConfig).
  explicit ClientTable(const OverlayConfig& config);
  ClientTable(const AdmissionOptions& admission,
              const std::vector<ClientConfig>& clients);

  // At the portal: `client_id` as the caller sent it, `peer` its address
  // (grpc::ServerContext::peer(), e.g. "ipv4:127.0.0.1:54321").
  RequestClass Classify(std::string_view client_id,
                        std::string_view peer) const;

  // Deeper in the overlay: the class the portal passed along. A team this
  // config declares is kept; otherwise the client's table entry decides,
  // as at the portal.
  RequestClass FromWire(std::string_view team, std::string_view client) const;

  const std::string& default_team() const { return default_team_; }

 private:
  struct Known {
    std::string team;
    int weight = 1;
  };

  std::string default_team_;
  absl::flat_hash_set<std::string> teams_;  // declared, plus the default
  absl::flat_hash_map<std::string, Known> clients_;
};

}  // namespace overlay

#endif  // OVERLAY_CORE_ADMISSION_CLIENT_TABLE_H_
