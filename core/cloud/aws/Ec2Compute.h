#pragma once

#include <mutex>
#include <map>

#include "core/auth/ClockSkew.h"
#include "core/cloud/ApiCall.h"
#include "core/cloud/aws/AwsSettings.h"

namespace spotwise::cloud::aws {

/**
 * EC2 compute over the signed Query API. launch() resolves the image (LaunchSpec::image, else the
 * SSM parameter), reads its root device name (DescribeImages) and calls RunInstances with the
 * spec's ClientToken, so the retry loop may repeat it safely. describe() makes one
 * DescribeInstances call per region per 200 ids (an instance-id filter: unknown ids are absent
 * and come back Terminated). Thread-compatible (the image cache is guarded).
 */
class Ec2Compute final : public ComputeService {
 public:
  Ec2Compute(AwsSettings settings, Transport transport);

  Result<Instance> launch(const LaunchSpec& spec, const CallOptions& options) override;
  Result<std::vector<Instance>> describe(const std::vector<InstanceRef>& refs, const CallOptions& options) override;
  Result<std::vector<Instance>> listByTag(std::string_view jobId, const std::vector<std::string>& regions,
                                          const CallOptions& options) override;
  Result<void> terminate(const std::vector<InstanceRef>& refs, const CallOptions& options) override;

  /** GPU and size facts of instance types (all types when `types` is empty). */
  Result<std::vector<InstanceTypeInfo>> describeInstanceTypes(std::string_view region,
                                                              const std::vector<std::string>& types,
                                                              const CallOptions& options);
  /** Linux spot prices of `types` since `sinceUnix`, all zones of the region (or one zone). */
  Result<std::vector<SpotPrice>> spotPriceHistory(std::string_view region, const std::vector<std::string>& types,
                                                  std::string_view zone, std::int64_t sinceUnix,
                                                  const CallOptions& options);
  /** The region's Availability Zones: each one's name in this account and its ID (DescribeAvailabilityZones). */
  Result<std::vector<AvailabilityZone>> availabilityZones(std::string_view region, const CallOptions& options);
  /** The AMI the SSM parameter names in `region` (GetParameter). */
  Result<std::string> resolveGpuImage(std::string_view region, const CallOptions& options);

 private:
  Result<std::string> ec2Call(std::string_view region, std::string_view operation, const QueryParams& params,
                              http::Idempotency idempotency, const CallOptions& options);
  Result<std::vector<Instance>> describePages(std::string_view region, const std::function<QueryParams(std::string_view)>& page,
                                              const CallOptions& options);

  AwsSettings m_settings;
  Transport m_transport;
  std::mutex m_mutex;
  std::map<std::string, std::string> m_rootDevices;  ///< image id → root device name
  /** Learned from EC2's/SSM's Date after a RequestExpired / "Signature expired" answer (retried once). */
  auth::ClockSkew m_skew;
};

}  // namespace spotwise::cloud::aws
