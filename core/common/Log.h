#pragma once

#include <functional>
#include <string>
#include <string_view>

/**
 * Logging with secret redaction. Every message goes through redactSecrets() before it reaches
 * the sink, so a request dump, an error body or a URL can be logged without leaking
 * Authorization headers, SigV4 signatures, session/OAuth tokens, SAS signatures, client secrets
 * or private keys. Thread-safe.
 */
namespace spotwise {

enum class LogLevel { Debug, Info, Warning, Error };

/** Where log lines go (default: stderr, Warning and above). */
using LogSink = std::function<void(LogLevel level, std::string_view message)>;
void setLogSink(LogSink sink);
/** Restores the default stderr sink. */
void resetLogSink();

/** Redacts, then hands the message to the sink. */
void logMessage(LogLevel level, std::string_view message);

/**
 * Replaces secrets in `text` with "[REDACTED]": header values of Authorization,
 * X-Amz-Security-Token, x-ms-*-key and Ocp-Apim-Subscription-Key; SigV4 `Signature=` and
 * `X-Amz-Signature=`; `X-Amz-Security-Token=`, SAS `sig=`, `key=`, OAuth form fields
 * (client_secret, assertion, client_assertion, refresh_token, access_token, code); JSON/XML
 * fields (access_token, refresh_token, id_token, client_secret, private_key, SecretAccessKey,
 * SessionToken, Token, secretAccessKey); `Bearer` tokens; SharedKey signatures; INI lines
 * aws_secret_access_key / aws_session_token; PEM private-key blocks; and every value registered
 * with registerSecret().
 */
std::string redactSecrets(std::string_view text);

/**
 * Replaces only the values registered with registerSecret() (Spotwise's own credentials, tokens
 * and signatures) with "[REDACTED]", none of the patterns: for text that must keep its meaning,
 * such as a job spec whose environment may have a variable named TOKEN or PASSWORD.
 */
std::string redactRegisteredSecrets(std::string_view text);

/**
 * Remembers a secret value (at least 8 characters) so that it is redacted wherever it appears,
 * even in a form no pattern knows. Used when credentials are loaded.
 */
void registerSecret(std::string_view secret);

}  // namespace spotwise
