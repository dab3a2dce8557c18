#include "core/cloud/azure/AzureProvider.h"

#include <chrono>

namespace spotwise::cloud::azure {

AzureProvider::AzureProvider(ArmSettings compute, BlobSettings storage, Transport transport)
    : m_compute(std::move(compute), transport), m_storage(std::move(storage), transport) {}

Result<InstanceAccess> AzureProvider::issueInstanceAccess(std::string_view jobId, std::string_view prefix,
                                                          std::int64_t expiresUnix, const CallOptions& /*options*/) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (expiresUnix <= now)
    return makeError(ErrorCode::InvalidArgument, "IssueInstanceAccess: the expiry for job " + std::string(jobId) +
                                                     " is not in the future");
  auto sas = m_storage.containerSas("racwdl", expiresUnix);
  if (!sas) return sas.error();
  InstanceAccess access;
  access.kind = "sas";
  access.values = {{"sasUrl", m_storage.blobUrl("") + "?" + *sas}, {"prefix", std::string(prefix)}};
  access.expiresUnix = expiresUnix;
  return access;
}

}  // namespace spotwise::cloud::azure
