// The XML bodies the clouds send back (EC2 Query API responses and <Errors>, S3 and Azure Blob
// <Error> documents, STS/AWS error answers, DescribeSpotPriceHistory) on arbitrary bytes: no
// parser crashes; every Error names its operation; accepted prices are finite and not negative.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "FuzzChecks.h"
#include "core/auth/aws/AwsConfig.h"
#include "core/cloud/Xml.h"
#include "core/cloud/aws/Ec2Api.h"
#include "core/cloud/aws/S3Store.h"
#include "core/cloud/azure/BlobStore.h"
#include "core/pricing/sources/aws/AwsSpot.h"

namespace {

void checkNamed(const spotwise::Error& error, std::string_view operation) {
  if (!error.message.starts_with(operation)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spotwise;
  namespace ec2 = cloud::aws;
  const auto text = fuzz::asText(data, size);
  if (const auto root = cloud::parseXml(text, "Xml"); fuzz::acceptedOrExplained(root)) (void)root->textAt("a/b/c");
  if (const auto page = ec2::parseInstances(text, "DescribeInstances", "us-east-1"); fuzz::acceptedOrExplained(page)) {
    for (const auto& instance : page->instances) {
      if (instance.id.empty()) std::abort();
    }
  }
  (void)fuzz::acceptedOrExplained(ec2::parseInstanceTypes(text));
  if (const auto prices = ec2::parseSpotPriceHistory(text); fuzz::acceptedOrExplained(prices)) {
    for (const auto& price : prices->prices) {
      if (!(price.pricePerHour >= 0.0) || !std::isfinite(price.pricePerHour)) std::abort();
    }
  }
  (void)fuzz::acceptedOrExplained(ec2::parseRootDeviceName(text, "ami-0123"));
  if (const auto parsed = pricing::sources::parseAwsSpotPriceHistory(text); fuzz::acceptedOrExplained(parsed)) {
    fuzz::checkParsedPrices(*parsed);
  }
  const int status = size > 0 ? 400 + data[0] % 200 : 500;
  checkNamed(ec2::ec2Error("RunInstances", status, text), "RunInstances");
  const http::Response response{status, {{"Content-Type", "application/xml"}}, std::string(text)};
  checkNamed(ec2::s3Error("PutObject", response), "PutObject");
  checkNamed(cloud::azure::blobError("PutBlob", response), "PutBlob");
  checkNamed(auth::aws::awsErrorFromResponse("GetCallerIdentity", response), "GetCallerIdentity");
  return 0;
}
