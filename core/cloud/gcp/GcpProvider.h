#pragma once

#include "core/cloud/gcp/GceCompute.h"
#include "core/cloud/gcp/GcsStore.h"

namespace spotwise::cloud::gcp {

/**
 * GCP: Compute Engine, Cloud Storage, and the VM's own service account as the instances' access
 * (its storage scope and the bucket's IAM grant are what let the agent write the job's prefix).
 */
class GcpProvider final : public Provider {
 public:
  GcpProvider(GcpSettings compute, GcsSettings storage, Transport transport);
  [[nodiscard]] std::string_view id() const override { return "gcp"; }
  GceCompute& compute() override { return m_compute; }
  GcsStore& storage() override { return m_storage; }
  /** {"serviceAccount", "bucket", "prefix"}; FailedPrecondition without a dedicated VM service account. */
  Result<InstanceAccess> issueInstanceAccess(std::string_view jobId, std::string_view prefix, std::int64_t expiresUnix,
                                             const CallOptions& options) override;

 private:
  std::string m_serviceAccount;
  std::string m_bucket;
  GceCompute m_compute;
  GcsStore m_storage;
};

}  // namespace spotwise::cloud::gcp
