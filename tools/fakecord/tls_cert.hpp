// A throwaway self-signed certificate for --tls: P-256 key, SAN IP:127.0.0.1 and DNS:localhost,
// valid for 7 days. Made in process so no test needs openssl on the command line.
#pragma once

#include <string>

namespace fakecord {

struct SelfSignedCert {
  std::string cert_pem;
  std::string key_pem;
};

// Throws std::runtime_error when OpenSSL fails.
SelfSignedCert make_self_signed_cert();

}  // namespace fakecord
