// GCP credentials files (service-account keys, authorized_user ADC) on arbitrary bytes: never
// crash; an accepted service-account key names its account and signs an assertion.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "FuzzChecks.h"
#include "core/auth/gcp/GcpCredentials.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  const auto text = fuzz::asText(data, size);
  if (const auto key = auth::gcp::parseServiceAccountKey(text, "key.json"); fuzz::acceptedOrExplained(key)) {
    if (key->clientEmail.empty()) std::abort();
    const auto assertion = auth::gcp::makeAssertion(*key, {"https://www.googleapis.com/auth/cloud-platform"}, 1'790'000'000);
    if (fuzz::acceptedOrExplained(assertion)) {
      if (!fuzz::acceptedOrExplained(auth::gcp::decodeAssertionClaims(*assertion))) std::abort();
    }
  }
  (void)fuzz::acceptedOrExplained(auth::gcp::parseCredentialsFile(text, "adc.json"));
  (void)fuzz::acceptedOrExplained(auth::gcp::decodeAssertionClaims(text));
  return 0;
}
