// Copyright 2026 The overlay Authors.
//
// gRPC credentials from PEM files, the one place that turns the config's
// tls section (or a client's --ca-file/--cert-file/--key-file) into
// credentials: a node's server credentials (TLS, and with `mutual` every
// caller must present a certificate the CA signed), the credentials a node
// dials its neighbours with (the CA, and its own certificate for mutual
// TLS), and a client's. Without TLS each is the insecure kind. Files are
// read when called; errors name the file. Stateless; thread-safe.
//
//   ASSIGN_OR_RETURN(auto server_credentials, ServerCredentialsFor(tls));
//   builder.AddListeningPort(address, server_credentials, &port);

#ifndef OVERLAY_CORE_SECURITY_TLS_CREDENTIALS_H_
#define OVERLAY_CORE_SECURITY_TLS_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/config/overlay_config.h"

namespace overlay {

// A client's TLS files: no ca_file means plaintext; cert/key (both or
// neither) are its certificate for a mutual-TLS overlay.
struct ClientTlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// The whole file; NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT (empty)
// naming `what` and the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path);

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsOptions& tls);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
NodeChannelCredentials(const TlsOptions& tls);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ClientChannelCredentials(const ClientTlsFiles& files);

// The files a client on a node's host uses for `config`: its CA and, for
// mutual TLS, the node certificate. Empty when the config has no TLS.
ClientTlsFiles ClientTlsFilesOf(const OverlayConfig& config);

}  // namespace overlay

#endif  // OVERLAY_CORE_SECURITY_TLS_CREDENTIALS_H_
