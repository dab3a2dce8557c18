#pragma once

#include <string>
#include <string_view>

#include "core/common/Result.h"

/** Compact JWS (RFC 7515) with RS256, as the GCP and Azure AD assertion flows need. Thread-safe. */
namespace spotwise::auth {

/**
 * "base64url(header).base64url(payload).base64url(RS256 signature)" for the given JSON texts.
 * InvalidArgument when the PEM is unreadable or not RSA (message from rsaSha256Sign).
 */
Result<std::string> signJwtRs256(std::string_view headerJson, std::string_view payloadJson,
                                 std::string_view privateKeyPem);

struct DecodedJwt {
  std::string headerJson;
  std::string payloadJson;
  std::string signingInput;  ///< the first two segments as sent
  std::string signature;     ///< raw bytes
};

/** Splits and decodes a compact JWS (padding tolerated); InvalidArgument if malformed. */
Result<DecodedJwt> decodeJwt(std::string_view jwt);

}  // namespace spotwise::auth
