#pragma once

#include "core/cloud/aws/Ec2Compute.h"
#include "core/cloud/aws/S3Store.h"

namespace spotwise::cloud::aws {

/**
 * AWS: EC2 compute, S3 storage, and an instance profile as the instances' access (the profile's
 * role is where the job's S3 prefix is granted; Spotwise never hands the user's keys to an
 * instance). Thread-compatible.
 */
class AwsProvider final : public Provider {
 public:
  AwsProvider(const AwsSettings& settings, const Transport& transport);
  [[nodiscard]] std::string_view id() const override { return "aws"; }
  Ec2Compute& compute() override { return m_compute; }
  S3Store& storage() override { return m_storage; }
  /** {"instanceProfile", "bucket", "prefix"}; FailedPrecondition when no instance profile is configured. */
  Result<InstanceAccess> issueInstanceAccess(std::string_view jobId, std::string_view prefix, std::int64_t expiresUnix,
                                             const CallOptions& options) override;

 private:
  AwsSettings m_settings;
  Ec2Compute m_compute;
  S3Store m_storage;
};

}  // namespace spotwise::cloud::aws
