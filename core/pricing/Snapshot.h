#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/Result.h"
#include "core/pricing/Offer.h"

namespace spotwise::pricing {

/** Where a set of prices came from: shown next to every number in the UI. */
struct PriceSource {
  std::string id;           ///< "skypilot-aws"
  CloudProvider provider = CloudProvider::Aws;
  std::string description;  ///< "SkyPilot hosted catalog v8, AWS (excerpt)"
  std::string url;
  std::string revision;     ///< commit or version of the published data
  std::int64_t asOfUnix = 0;
  /** True for a source of interruption bands only (Spot Instance Advisor): not part of price age. */
  bool interruptionsOnly = false;
};

/** A self-describing set of offers: the embedded offline catalog, or one rebuilt by the CLI. */
struct Snapshot {
  std::int64_t createdUnix = 0;
  std::vector<PriceSource> sources;
  std::vector<std::string> notes;  ///< what the import left out, and why
  std::vector<Offer> offers;

  /** The oldest as-of time over all price sources (what the UI calls the snapshot's age). */
  [[nodiscard]] std::int64_t oldestAsOf() const;
  [[nodiscard]] const PriceSource* source(std::string_view id) const;
};

/** Serialises to the snapshot JSON format ("spotwise-snapshot/1"); byte-stable for equal input. */
std::string serializeSnapshot(const Snapshot& snapshot);

/** Parses snapshot JSON. Errors (InvalidArgument/DataLoss) name the offer index and field. */
Result<Snapshot> parseSnapshot(std::string_view text);

/** The snapshot built into the binary (resources/pricing/snapshot.json). */
Result<Snapshot> embeddedSnapshot();

/**
 * Rebuilds a snapshot from recorded raw source files described by `dir/manifest.json`
 * (what `spotwise-cli prices snapshot --from DIR` runs). Errors name the manifest entry or file.
 *
 * Each manifest source has a `format`: "skypilot-vms-csv" or one of sources::importFormats()
 * ("aws-offer", "aws-spot-feed", "aws-advisor", "aws-spot-history", "azure-retail", "gcp-billing").
 * All of them are merged by pricing::buildCatalog (sources listed first win ties); "aws-advisor"
 * adds interruption bands to the AWS offers. A source names its recorded response in `file`, or the
 * pages of a paged response, in order, in `files` (an error names the page that failed).
 */
Result<Snapshot> buildSnapshotFromDirectory(const std::filesystem::path& dir);

}  // namespace spotwise::pricing
