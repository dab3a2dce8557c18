#pragma once

#include <string>
#include <vector>

#include "core/auth/aws/SigV4.h"
#include "core/cloud/aws/Ec2Api.h"

namespace spotwise::cloud::aws {

/** Everything the AWS provider needs to know; credentials are handed in, never stored by core. */
struct AwsSettings {
  auth::aws::AwsCredentials credentials;
  std::string defaultRegion = "us-east-1";
  /** Regions listByTag() searches when none are given. */
  std::vector<std::string> regions = {"us-east-1"};
  /**
   * One endpoint for every service (EC2, SSM, S3 path-style), e.g. "http://127.0.0.1:5000" for
   * the lab; empty means AWS itself (https://ec2.<region>.amazonaws.com/, virtual-hosted S3).
   */
  std::string endpointOverride;
  /** The SSM parameter naming the GPU image; LaunchSpec::image overrides it. */
  std::string gpuImageParameter = std::string(kDeepLearningAmiParameter);
  std::string subnetId;
  std::vector<std::string> securityGroupIds;
  /** Instance profile the instances get (the job's storage access), when LaunchSpec has none. */
  std::string instanceProfile;
  /** S3 bucket of the job storage, and its region. */
  std::string bucket;
  std::string bucketRegion = "us-east-1";
  /** putFile() switches to multipart above this size, in parts of partSize (S3 minimum 5 MiB). */
  std::uint64_t multipartThreshold = 64ull * 1024 * 1024;
  std::uint64_t partSize = 16ull * 1024 * 1024;
};

/** "https://ec2.<region>.amazonaws.com/" or the override (always ending in '/'). */
std::string serviceEndpoint(const AwsSettings& settings, std::string_view service, std::string_view region);

}  // namespace spotwise::cloud::aws
