#pragma once

#include "core/cloud/azure/ArmCompute.h"
#include "core/cloud/azure/BlobStore.h"

namespace spotwise::cloud::azure {

/** Azure: ARM compute, Blob storage, and a SAS with an expiry as the instances' access. */
class AzureProvider final : public Provider {
 public:
  AzureProvider(ArmSettings compute, BlobSettings storage, Transport transport);
  [[nodiscard]] std::string_view id() const override { return "azure"; }
  ArmCompute& compute() override { return m_compute; }
  BlobStore& storage() override { return m_storage; }
  /**
   * {"containerUrl", "sasToken" (read, add, create, write, delete, list until expiresUnix),
   * "sasUrl" (the two joined), "container", "prefix"}. With BlobSettings::containerPerJob the SAS
   * is for the job's own container (created here), so the instance cannot touch another job's data;
   * `prefix` must then be "<jobRoot>/<jobId>". Without it the SAS covers the shared container.
   * InvalidArgument when the expiry is not in the future or the prefix is not the job's folder.
   */
  Result<InstanceAccess> issueInstanceAccess(std::string_view jobId, std::string_view prefix, std::int64_t expiresUnix,
                                             const CallOptions& options) override;

 private:
  ArmCompute m_compute;
  BlobStore m_storage;
};

}  // namespace spotwise::cloud::azure
