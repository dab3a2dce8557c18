#include "core/cloud/gcp/GcpProvider.h"

namespace spotwise::cloud::gcp {

GcpProvider::GcpProvider(GcpSettings compute, GcsSettings storage, Transport transport)
    : m_serviceAccount(compute.launch.serviceAccountEmail),
      m_bucket(storage.bucket),
      m_compute(std::move(compute), transport),
      m_storage(std::move(storage), transport) {}

Result<InstanceAccess> GcpProvider::issueInstanceAccess(std::string_view jobId, std::string_view prefix,
                                                        std::int64_t /*expiresUnix*/, const CallOptions& /*options*/) {
  // The project's default compute account is an Editor: never hand that to a job's VM.
  if (m_serviceAccount.empty() || m_serviceAccount == "default")
    return makeError(ErrorCode::FailedPrecondition,
                     "IssueInstanceAccess: no dedicated VM service account configured for job " + std::string(jobId));
  InstanceAccess access;
  access.kind = "service-account";
  access.values = {{"serviceAccount", m_serviceAccount}, {"bucket", m_bucket}, {"prefix", std::string(prefix)}};
  return access;
}

}  // namespace spotwise::cloud::gcp
