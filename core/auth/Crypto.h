#pragma once

#include <string>
#include <string_view>

#include "core/common/Result.h"

/**
 * Small wrappers over OpenSSL's EVP interface used by every signer: digests, HMAC, RSA signatures,
 * hex and base64 encodings. Pure functions; thread-safe.
 */
namespace spotwise::auth {

/** Raw SHA-256 digest (32 bytes). */
std::string sha256(std::string_view data);
/** Lower-case hex SHA-256 digest. */
std::string sha256Hex(std::string_view data);
/** Raw HMAC-SHA256 (32 bytes). */
std::string hmacSha256(std::string_view key, std::string_view data);
/** Raw SHA-1 digest (20 bytes); used only for certificate thumbprints (`x5t`). */
std::string sha1(std::string_view data);

std::string hexEncode(std::string_view bytes);
std::string base64Encode(std::string_view bytes);
/** Decodes standard base64 (padding optional, whitespace ignored); InvalidArgument if malformed. */
Result<std::string> base64Decode(std::string_view text);
/** base64url without padding (RFC 7515 §2). */
std::string base64UrlEncode(std::string_view bytes);
/** Decodes base64url, with or without padding. */
Result<std::string> base64UrlDecode(std::string_view text);

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `data` with a PEM private key (PKCS#8 or
 * PKCS#1). InvalidArgument when the PEM does not parse or is not an RSA key.
 */
Result<std::string> rsaSha256Sign(std::string_view privateKeyPem, std::string_view data);

/** Verifies an RS256 signature with a PEM public key or X.509 certificate. */
Result<bool> rsaSha256Verify(std::string_view publicKeyOrCertPem, std::string_view data,
                             std::string_view signature);

/** A PEM X.509 certificate's DER bytes (for thumbprints); InvalidArgument if it does not parse. */
Result<std::string> certificateDer(std::string_view certificatePem);

/** Cryptographically random bytes (JWT ids, nonces). */
std::string randomBytes(std::size_t count);

/** Constant-time comparison (for signatures). */
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace spotwise::auth
