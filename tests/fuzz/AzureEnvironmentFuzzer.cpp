// The Azure service-principal environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
// AZURE_CLIENT_CERTIFICATE_PATH, AZURE_SUBSCRIPTION_ID, AZURE_AUTHORITY_HOST) and the Azure AD
// token answer it leads to, on arbitrary bytes. The input is "NAME=value" lines, then a line
// "--", then the token endpoint's answer (its HTTP status picked by the first byte after "--").
// servicePrincipalFromEnvironment never crashes; an accepted principal has a tenant, a client
// and a secret or certificate, and a token endpoint that is an http(s) URL; with a secret, the
// client-credentials exchange ends with a token that is not yet expired, or an Error naming it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "FuzzChecks.h"
#include "core/auth/Url.h"
#include "core/auth/azure/AzureCredentials.h"
#include "core/http/HttpClient.h"

namespace {

using namespace spotwise;

constexpr std::int64_t kNow = 1'790'000'000;

/** The token endpoint: one answer, the rest of the input. */
class TokenEndpoint final : public http::HttpClient {
 public:
  TokenEndpoint(int status, std::string body) : m_status(status), m_body(std::move(body)) {}
  Result<http::Response> send(const http::Request&) override {
    return http::Response{m_status, {{"Content-Type", "application/json"}}, m_body};
  }

 private:
  int m_status;
  std::string m_body;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::asText(data, size);
  std::map<std::string, std::string, std::less<>> variables;
  std::string_view answer;
  bool hasAnswer = false;
  for (std::size_t start = 0; start < text.size();) {
    const auto newline = text.find('\n', start);
    const std::string_view line = text.substr(start, newline == std::string_view::npos ? std::string_view::npos : newline - start);
    start = newline == std::string_view::npos ? text.size() : newline + 1;
    if (line == "--") {
      answer = text.substr(start);
      hasAnswer = true;
      break;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    variables.insert_or_assign(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
  }
  const auto env = [&variables](const std::string& name) -> std::optional<std::string> {
    if (auto it = variables.find(name); it != variables.end()) return it->second;
    return std::nullopt;
  };

  const auto principal = auth::azure::servicePrincipalFromEnvironment(env);
  if (!fuzz::acceptedOrExplained(principal)) {
    if (!principal.error().message.starts_with("Azure credentials: ")) std::abort();
    return 0;
  }
  if (principal->tenantId.empty() || principal->clientId.empty()) std::abort();
  if (principal->clientSecret.empty() && principal->clientCertificatePath.empty()) std::abort();
  const std::string endpoint = auth::azure::tokenEndpoint(*principal);
  if (!auth::parseUrl(endpoint)) std::abort();
  // The certificate flow reads a file named by the input: not here (AzureCertificateFuzzer covers its contents).
  if (principal->clientSecret.empty() || !hasAnswer) return 0;

  const int status = answer.empty() ? 200 : (static_cast<unsigned char>(answer[0]) % 8 == 0 ? 400 + answer[0] % 100 : 200);
  TokenEndpoint client(status, std::string(answer.empty() ? answer : answer.substr(1)));
  auth::azure::AzureTokenOptions options;
  options.clock = [] { return kNow; };
  auth::azure::ClientSecretTokenSource tokens(*principal, client, options);
  const auto token = tokens.accessToken({});
  if (!fuzz::acceptedOrExplained(token)) {
    if (!token.error().message.starts_with("Azure AD token for client ")) std::abort();
    return 0;
  }
  if (token->empty()) std::abort();
  // A token that is already (or about to be) expired is asked for again, never handed out twice.
  return 0;
}
