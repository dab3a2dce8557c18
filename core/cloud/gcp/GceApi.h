#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cloud/Provider.h"
#include "core/common/Result.h"
#include "core/http/HttpClient.h"

namespace spotwise::cloud::gcp {

/**
 * Compute Engine v1, without the network: instances.insert bodies, names, labels and request
 * ids built from Spotwise's types, and instances/operations/errors parsed back. Pure and
 * thread-safe. GCP instance ids in Spotwise are "<zone>/<name>".
 */

/** What the GCE launch needs beyond the LaunchSpec. */
struct GceLaunchOptions {
  std::string project;
  std::string zone;
  /** The boot image when LaunchSpec::image is empty, in any form sourceImageUrl() takes; empty: the default family. */
  std::string image;
  std::string network = "global/networks/default";
  std::string serviceAccountEmail = "default";  ///< the VM's own identity (LaunchSpec::instanceIdentity wins)
};

/** The project Google publishes its Deep Learning VM images in. */
inline constexpr std::string_view kDeepLearningImageProject = "deeplearning-platform-release";
/**
 * The default boot image family: Deep Learning VM, CUDA 12.8 on Ubuntu 22.04 with the NVIDIA 570
 * driver already installed (new enough for every GPU GCE rents, A100 to B200), so the instance
 * does not spend GPU minutes installing one. Family names as published in
 * deeplearning-platform-release ("gcloud compute images list --project deeplearning-platform-release
 * --no-standard-images"); the older common-cu124-debian-11-py310 family is on a Debian release
 * that left LTS, which is why it is no longer the default.
 */
inline constexpr std::string_view kDefaultImageFamily = "common-cu128-ubuntu-2204-nvidia-570";

/**
 * The sourceImage for `image`: empty → the default family; "NAME" (no '/') → the family NAME in
 * deeplearning-platform-release; "PROJECT/family/NAME" → that family; "PROJECT/NAME" → that
 * image; a path or URL with "/global/images/" → as given. InvalidArgument for anything else.
 */
Result<std::string> sourceImageUrl(std::string_view image);

/** "spotwise-<job>-<attempt>": a valid GCE name (lower case, [-a-z0-9], at most 63 characters). */
std::string instanceName(std::string_view jobId, int attempt);
/** A label value GCE accepts: lower case, [a-z0-9_-], at most 63 characters. */
std::string labelValue(std::string_view text);
/** A UUID (the form GCE requires of requestId) derived from `token`: the same on every retry. */
std::string requestIdFor(std::string_view token);

/**
 * The instances.insert body. `spec.instanceType` is a machine type ("a2-highgpu-1g"), optionally
 * with attached GPUs as "<machine>+<accelerator-type>x<count>" ("n1-standard-8+nvidia-tesla-t4x1").
 * Spot: provisioningModel SPOT, instanceTerminationAction DELETE, onHostMaintenance TERMINATE,
 * automaticRestart false. GCE has no spot price cap, so maxPricePerHour is not sent.
 * InvalidArgument for a bad spec.
 */
Result<std::string> buildInsertBody(const LaunchSpec& spec, const GceLaunchOptions& options);

/** GCE status ("STAGING") to Spotwise's state. */
InstanceState mapStatus(std::string_view status);

/** One instance resource (JSON text or already-parsed object text). */
Result<Instance> parseInstance(std::string_view text);

/** The instances of an aggregatedList page and its nextPageToken. */
struct AggregatedPage {
  std::vector<Instance> instances;
  std::string nextPageToken;
};
Result<AggregatedPage> parseAggregatedInstances(std::string_view text);

/** A zone operation's state. */
struct Operation {
  std::string name;
  std::string zone;
  bool done = false;
  std::optional<Error> error;  ///< set when done with an error
  std::string targetLink;
};
Result<Operation> parseOperation(std::string_view text, std::string_view operation);

/** Targets ("<zone>/<name>") of compute.instances.preempted operations in an aggregated list. */
Result<std::vector<std::string>> parsePreemptedTargets(std::string_view text);

/**
 * The Error of a failed GCE call from its {"error": {code, message, errors[].reason, status}}
 * document: the reason is kept as providerCode, the message after the operation's name.
 */
Error gceError(std::string_view operation, const http::Response& response);

}  // namespace spotwise::cloud::gcp
