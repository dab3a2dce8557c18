#pragma once

#include "core/http/HttpClient.h"

namespace spotwise::http {

/**
 * HttpClient on libcurl (one easy handle per call, so calls from several threads are safe).
 * No redirects are followed (signed requests must not be replayed elsewhere); gzip/deflate bodies
 * are decoded transparently; proxies come from the usual environment variables.
 * Cancellation (stop token), the stall timeout and onData aborts are checked during the transfer.
 */
class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient();
  Result<Response> send(const Request& request) override;
};

}  // namespace spotwise::http
