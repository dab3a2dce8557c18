#include "core/cloud/azure/AzureProvider.h"

#include <chrono>

namespace spotwise::cloud::azure {

AzureProvider::AzureProvider(ArmSettings compute, BlobSettings storage, Transport transport)
    : m_compute(std::move(compute), transport), m_storage(std::move(storage), transport) {}

Result<InstanceAccess> AzureProvider::issueInstanceAccess(std::string_view jobId, std::string_view prefix,
                                                          std::int64_t expiresUnix, const CallOptions& options) {
  const std::string op = "IssueInstanceAccess for job " + std::string(jobId);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (expiresUnix <= now) return makeError(ErrorCode::InvalidArgument, op + ": the expiry is not in the future");
  const BlobSettings& settings = m_storage.settings();
  std::string container = settings.container;
  if (settings.containerPerJob) {
    // The SAS names the job's own container: the instance can reach nothing of any other job.
    const std::string expected = settings.jobRoot.empty() ? std::string(jobId) : settings.jobRoot + "/" + std::string(jobId);
    if (prefix != expected)
      return makeError(ErrorCode::InvalidArgument, op + ": the prefix '" + std::string(prefix) +
                                                       "' is not the job's folder '" + expected +
                                                       "' (BlobSettings::jobRoot must be the storage location's prefix)");
    container = m_storage.containerFor(expected + "/");
    if (auto created = m_storage.ensureContainerNamed(container, options); !created) return created.error();
  }
  auto sas = m_storage.containerSas("racwdl", expiresUnix, container);
  if (!sas) return sas.error();
  InstanceAccess access;
  access.kind = "sas";
  access.values = {{"containerUrl", m_storage.containerUrl(container)},
                   {"sasToken", *sas},
                   {"sasUrl", m_storage.containerUrl(container) + "?" + *sas},
                   {"container", container},
                   {"prefix", std::string(prefix)}};
  access.expiresUnix = expiresUnix;
  return access;
}

}  // namespace spotwise::cloud::azure
