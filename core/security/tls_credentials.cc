// Copyright 2026 The overlay Authors.

#include "core/security/tls_credentials.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/common/posix_error.h"
#include "core/common/status_macros.h"

namespace overlay {

absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return PosixError(absl::StrCat(what, " ", path), errno);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return PosixError(absl::StrCat(what, " ", path), errno);
  std::string pem = text.str();
  if (pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is empty"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.private_key, ReadPemFile("tls key_file", tls.key_file));
  ASSIGN_OR_RETURN(pair.cert_chain,
                   ReadPemFile("tls cert_file", tls.cert_file));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadPemFile("tls ca_file", tls.ca_file));
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
NodeChannelCredentials(const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadPemFile("tls ca_file", tls.ca_file));
  if (tls.mutual) {
    ASSIGN_OR_RETURN(options.pem_private_key,
                     ReadPemFile("tls key_file", tls.key_file));
    ASSIGN_OR_RETURN(options.pem_cert_chain,
                     ReadPemFile("tls cert_file", tls.cert_file));
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ClientChannelCredentials(const ClientTlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs both --cert-file and --key-file");
  }
  if (files.ca_file.empty()) {
    if (!files.cert_file.empty()) {
      return absl::InvalidArgumentError(
          "--cert-file/--key-file need --ca-file (TLS)");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadPemFile("--ca-file", files.ca_file));
  if (!files.cert_file.empty()) {
    ASSIGN_OR_RETURN(options.pem_private_key,
                     ReadPemFile("--key-file", files.key_file));
    ASSIGN_OR_RETURN(options.pem_cert_chain,
                     ReadPemFile("--cert-file", files.cert_file));
  }
  return grpc::SslCredentials(options);
}

ClientTlsFiles ClientTlsFilesOf(const OverlayConfig& config) {
  ClientTlsFiles files;
  if (!config.tls.enabled()) return files;
  files.ca_file = config.tls.ca_file;
  if (config.tls.mutual) {
    files.cert_file = config.tls.cert_file;
    files.key_file = config.tls.key_file;
  }
  return files;
}

}  // namespace overlay
