#include "core/cloud/aws/AwsProvider.h"

namespace spotwise::cloud::aws {

AwsProvider::AwsProvider(const AwsSettings& settings, const Transport& transport)
    : m_settings(settings), m_compute(settings, transport), m_storage(settings, transport) {}

Result<InstanceAccess> AwsProvider::issueInstanceAccess(std::string_view jobId, std::string_view prefix,
                                                        std::int64_t /*expiresUnix*/, const CallOptions& /*options*/) {
  if (m_settings.instanceProfile.empty())
    return makeError(ErrorCode::FailedPrecondition,
                     "IssueInstanceAccess: no instance profile configured for job " + std::string(jobId) +
                         " (the instance must reach s3://" + m_settings.bucket + "/" + std::string(prefix) +
                         " through its role, never through your keys)");
  InstanceAccess access;
  access.kind = "instance-role";
  access.values = {{"instanceProfile", m_settings.instanceProfile},
                   {"bucket", m_settings.bucket},
                   {"prefix", std::string(prefix)},
                   {"region", m_settings.bucketRegion}};
  if (!m_settings.endpointOverride.empty()) access.values["endpoint"] = m_settings.endpointOverride;
  return access;  // role credentials rotate on the instance; they do not expire for us to track
}

}  // namespace spotwise::cloud::aws
