#include "core/auth/Jwt.h"

#include "core/auth/Crypto.h"

namespace spotwise::auth {

Result<std::string> signJwtRs256(std::string_view headerJson, std::string_view payloadJson,
                                 std::string_view privateKeyPem) {
  const std::string signingInput = base64UrlEncode(headerJson) + '.' + base64UrlEncode(payloadJson);
  auto signature = rsaSha256Sign(privateKeyPem, signingInput);
  if (!signature) return signature.error();
  return signingInput + '.' + base64UrlEncode(*signature);
}

Result<DecodedJwt> decodeJwt(std::string_view jwt) {
  const auto first = jwt.find('.');
  const auto second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos || jwt.find('.', second + 1) != std::string_view::npos)
    return makeError(ErrorCode::InvalidArgument, "JWT: not three dot-separated segments");
  auto header = base64UrlDecode(jwt.substr(0, first));
  auto payload = base64UrlDecode(jwt.substr(first + 1, second - first - 1));
  auto signature = base64UrlDecode(jwt.substr(second + 1));
  if (!header || !payload || !signature) return makeError(ErrorCode::InvalidArgument, "JWT: a segment is not base64url");
  return DecodedJwt{std::move(*header), std::move(*payload), std::string(jwt.substr(0, second)), std::move(*signature)};
}

}  // namespace spotwise::auth
