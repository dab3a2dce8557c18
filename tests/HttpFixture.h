#pragma once

// The loopback HTTP fixture server (tests/lab/servers/http_fixture_server.py, started with
// LoopbackServer::httpFixture): scripting its answers, and a price refresh whose public sources all
// point at it.

#include <QTest>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "LoopbackServer.h"
#include "core/http/CurlHttpClient.h"
#include "core/pricing/PriceRefresh.h"

namespace spotwise::test {

/**
 * Tells the fixture server what to answer at `path`: one step per request, in order, each with
 * `status`, `body` and optionally `headers`, `chunk` and `chunk_delay_ms` (the last step repeats).
 */
inline void scriptAnswers(const LoopbackServer& server, const std::string& path, const nlohmann::json& steps) {
  http::CurlHttpClient client;
  http::Request request;
  request.method = "POST";
  request.url = server.url("/__script?path=" + path);
  request.body = steps.dump();
  const auto answer = client.send(request);
  QVERIFY2(answer && answer->status == 200, ("the fixture server did not take the script for " + path).c_str());
}

/** The requests the fixture server has answered, oldest first (method, path with query, headers, body). */
inline nlohmann::json requestsSeen(const LoopbackServer& server) {
  http::CurlHttpClient client;
  http::Request request;
  request.url = server.url("/__requests");
  const auto answer = client.send(request);
  if (!answer || answer->status != 200) return nlohmann::json::array();
  return nlohmann::json::parse(answer->body, nullptr, false);
}

/**
 * A refresh of `awsRegions` with every public source at its usual path on `server` (/aws/region_index.json
 * and /aws/<region>.json, /aws/spot.js, /aws/advisor.json, /azure/prices, /gcp/skus: what the test does not
 * script answers 404), caching under `cacheDir`; one attempt per request.
 */
inline pricing::RefreshConfig refreshOn(const LoopbackServer& server, std::vector<std::string> awsRegions, std::string cacheDir) {
  pricing::RefreshConfig config;
  config.endpoints.awsRegionIndexUrl = server.url("/aws/region_index.json");
  config.endpoints.awsOfferBase = server.url("");
  config.endpoints.awsSpotFeedUrl = server.url("/aws/spot.js");
  config.endpoints.awsAdvisorUrl = server.url("/aws/advisor.json");
  config.endpoints.azureRetailUrl = server.url("/azure/prices");
  config.endpoints.gcpBillingUrl = server.url("/gcp/skus");
  config.awsRegions = std::move(awsRegions);
  config.cacheDir = std::move(cacheDir);
  config.settings.retry.maxAttempts = 1;
  return config;
}

}  // namespace spotwise::test
