// Azure client-certificate PEM files (AZURE_CLIENT_CERTIFICATE_PATH) on arbitrary bytes: never
// crash; an accepted certificate has a key, a certificate and a thumbprint, and signs an assertion.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "FuzzChecks.h"
#include "core/auth/azure/AzureCredentials.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto certificate = auth::azure::parseClientCertificate(fuzz::asText(data, size), "cert.pem");
  if (!fuzz::acceptedOrExplained(certificate)) return 0;
  if (certificate->privateKeyPem.empty() || certificate->certificatePem.empty() || certificate->x5t.empty()) std::abort();
  (void)fuzz::acceptedOrExplained(auth::azure::makeClientAssertion(
      *certificate, "client", "https://login.microsoftonline.com/t/oauth2/v2.0/token", 1'790'000'000));
  return 0;
}
