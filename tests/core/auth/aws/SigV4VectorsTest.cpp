// AWS SigV4 against published vectors: every case of the aws-c-auth v4 suite (header and
// presigned-query variants), botocore's aws4_testsuite and the S3 API reference examples.
#include "TestSupport.h"

#include <nlohmann/json.hpp>

#include "core/auth/aws/SigV4.h"
#include "core/common/Time.h"

using namespace spotwise;
using namespace spotwise::auth::aws;
namespace fs = std::filesystem;

namespace {

fs::path vectorsDir() { return test::sourceDir() / "tests/data/signing/aws-sigv4"; }

struct ParsedRequest {
  http::Request request;
  std::string host;
};

// "METHOD PATH HTTP/1.1", "Name:value" lines (folded continuation lines kept), blank line, body.
ParsedRequest parseRequestFile(const std::string& text) {
  ParsedRequest out;
  std::size_t pos = 0;
  auto nextLine = [&](std::string& line) {
    if (pos > text.size()) return false;
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    return true;
  };
  std::string line;
  nextLine(line);
  const auto firstSpace = line.find(' ');
  const auto lastSpace = line.rfind(' ');
  out.request.method = line.substr(0, firstSpace);
  const std::string path = line.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  while (nextLine(line) && !line.empty()) {
    if (line.front() == ' ' || line.front() == '\t') {
      out.request.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    if (QString::fromStdString(line.substr(0, colon)).compare(QStringLiteral("host"), Qt::CaseInsensitive) == 0)
      out.host = line.substr(colon + 1);
  }
  if (pos < text.size()) out.request.body = text.substr(pos);
  out.request.url = "https://" + out.host + path;
  return out;
}

std::string headerValue(const http::Headers& headers, const std::string& name) {
  for (const auto& [n, v] : headers)
    if (QString::fromStdString(n).compare(QString::fromStdString(name), Qt::CaseInsensitive) == 0) return v;
  return {};
}

std::vector<std::string> headerValues(const http::Headers& headers, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (QString::fromStdString(n).compare(QString::fromStdString(name), Qt::CaseInsensitive) == 0) out.push_back(v);
  return out;
}

http::Request makeRequest(std::string method, std::string url) {
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  return request;
}

SigV4Options makeOptions(std::string region, std::string service, std::int64_t nowUnix, bool s3 = false) {
  SigV4Options options;
  options.region = std::move(region);
  options.service = std::move(service);
  options.nowUnix = nowUnix;
  options.s3 = s3;
  return options;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

class SigV4VectorsTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void awsCAuthSuite_data() {
    QTest::addColumn<QString>("dir");
    int count = 0;
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(vectorsDir() / "aws-c-auth-v4"))
      if (entry.is_directory()) dirs.push_back(entry.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
      QTest::newRow(dir.filename().string().c_str()) << QString::fromStdString(dir.string());
      ++count;
    }
    QCOMPARE(count, 38);  // the whole suite, not a subset
  }

  void awsCAuthSuite() {
    QFETCH(QString, dir);
    const fs::path d = dir.toStdString();
    const auto context = nlohmann::json::parse(test::readText(d / "context.json"));
    const ParsedRequest parsed = parseRequestFile(test::readText(d / "request.txt"));
    AwsCredentials credentials{context["credentials"]["access_key_id"], context["credentials"]["secret_access_key"],
                               context["credentials"].value("token", std::string())};
    SigV4Options options;
    options.region = context["region"];
    options.service = context["service"];
    options.nowUnix = *parseIso8601Utc(context["timestamp"].get<std::string>());
    options.normalizePath = context["normalize"].get<bool>();
    options.contentSha256Header = context["sign_body"].get<bool>();
    options.signSessionToken = !context.value("omit_session_token", false);

    // Header variant.
    http::Request request = parsed.request;
    SigV4Trace trace;
    auto signedOk = signRequest(request, credentials, options, &trace);
    QVERIFY2(signedOk.ok(), signedOk.ok() ? "" : signedOk.error().message.c_str());
    QCOMPARE(trace.canonicalRequest, test::readText(d / "header-canonical-request.txt"));
    QCOMPARE(trace.stringToSign, test::readText(d / "header-string-to-sign.txt"));
    QCOMPARE(trace.signature, trimmed(test::readText(d / "header-signature.txt")));
    // Every header of the published signed request is present with the same value.
    const ParsedRequest expected = parseRequestFile(test::readText(d / "header-signed-request.txt"));
    for (const auto& [name, value] : expected.request.headers)
      QVERIFY2(headerValues(request.headers, name) == headerValues(expected.request.headers, name), name.c_str());

    // Query (presigned) variant.
    SigV4Trace queryTrace;
    auto url = presignUrl(parsed.request, credentials, options,
                          std::chrono::seconds(context["expiration_in_seconds"].get<int>()), &queryTrace);
    QVERIFY2(url.ok(), url.ok() ? "" : url.error().message.c_str());
    QCOMPARE(queryTrace.canonicalRequest, test::readText(d / "query-canonical-request.txt"));
    QCOMPARE(queryTrace.stringToSign, test::readText(d / "query-string-to-sign.txt"));
    const std::string signature = trimmed(test::readText(d / "query-signature.txt"));
    QCOMPARE(queryTrace.signature, signature);
    QVERIFY(url->ends_with("X-Amz-Signature=" + signature) ||
            url->find("X-Amz-Signature=" + signature + "&") != std::string::npos);
  }

  void botocoreSuite_data() {
    QTest::addColumn<QString>("dir");
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::recursive_directory_iterator(vectorsDir() / "botocore-aws4_testsuite")) {
      if (entry.path().extension() == ".req") dirs.push_back(entry.path().parent_path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs)
      QTest::newRow(fs::relative(dir, vectorsDir()).string().c_str()) << QString::fromStdString(dir.string());
    QCOMPARE(int(dirs.size()), 34);
  }

  void botocoreSuite() {
    QFETCH(QString, dir);
    const fs::path d = dir.toStdString();
    const std::string name = d.filename().string();
    const ParsedRequest parsed = parseRequestFile(test::readText(d / (name + ".req")));
    const ParsedRequest signedRequest = parseRequestFile(test::readText(d / (name + ".sreq")));
    AwsCredentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", {}};
    // A token the .sreq carries but the .req does not is the signer's to add.
    SigV4Options options = makeOptions("us-east-1", "service", 1440938160);
    const std::string creq = test::readText(d / (name + ".creq"));
    if (headerValue(parsed.request.headers, "X-Amz-Security-Token").empty()) {
      credentials.sessionToken = headerValue(signedRequest.request.headers, "X-Amz-Security-Token");
      // post-sts-header-after: the token is sent but not signed.
      options.signSessionToken = creq.find("x-amz-security-token") != std::string::npos;
    }
    http::Request request = parsed.request;
    SigV4Trace trace;
    QVERIFY(signRequest(request, credentials, options, &trace).ok());
    QCOMPARE(trace.canonicalRequest, creq);
    QCOMPARE(trace.stringToSign, test::readText(d / (name + ".sts")));
    QCOMPARE(headerValue(request.headers, "Authorization"), trimmed(test::readText(d / (name + ".authz"))));
  }

  void s3DocumentationExamples() {
    const auto doc = nlohmann::json::parse(test::readText(vectorsDir() / "s3-doc-examples/s3-doc-examples.json"));
    const AwsCredentials credentials{doc["access_key_id"], doc["secret_access_key"], {}};
    const SigV4Options options = makeOptions(doc["region"], doc["service"], 1369353600, true);  // 20130524T000000Z
    QCOMPARE(amzDate(options.nowUnix), doc["timestamp"].get<std::string>());
    int checked = 0;
    for (const auto& example : doc["examples"]) {
      const std::string name = example["name"];
      if (example.contains("expires")) {
        const std::string expectedUrl = example["url"];
        const http::Request request = makeRequest(example["method"], expectedUrl.substr(0, expectedUrl.find('?')));
        auto url = presignUrl(request, credentials, options, std::chrono::seconds(example["expires"].get<int>()));
        QVERIFY2(url.ok(), name.c_str());
        QCOMPARE(*url, expectedUrl);
        ++checked;
        continue;
      }
      http::Request request;
      request.method = example["method"];
      std::string query;
      for (const auto& pair : example["query"])
        query += (query.empty() ? "?" : "&") + pair[0].get<std::string>() + "=" + pair[1].get<std::string>();
      request.url = "https://" + example["host"].get<std::string>() + example["path"].get<std::string>() + query;
      request.body = example["body"];
      // Inputs are the documented headers minus those the signer computes.
      for (const auto& [header, value] : example["headers"].items()) {
        if (header == "Authorization" || header == "x-amz-date" || header == "x-amz-content-sha256") continue;
        request.headers.emplace_back(header, value.get<std::string>());
      }
      SigV4Trace trace;
      QVERIFY2(signRequest(request, credentials, options, &trace).ok(), name.c_str());
      QCOMPARE(trace.canonicalRequest, example["canonical_request"].get<std::string>());
      QCOMPARE(trace.stringToSign, example["string_to_sign"].get<std::string>());
      QCOMPARE(trace.signature, example["signature"].get<std::string>());
      QCOMPARE(headerValue(request.headers, "Authorization"), example["headers"]["Authorization"].get<std::string>());
      ++checked;
    }
    QCOMPARE(checked, 5);
  }

  void rejectsBadInput() {
    http::Request request = makeRequest("GET", "https://ec2.us-east-1.amazonaws.com/");
    const AwsCredentials good{"AKIDEXAMPLE", "secret", {}};
    const SigV4Options options = makeOptions("us-east-1", "ec2", 1440938160);
    auto noKey = signRequest(request, AwsCredentials{"", "secret", {}}, options);
    QVERIFY(!noKey.ok());
    QVERIFY(noKey.error().message.find("access key id") != std::string::npos);
    QVERIFY(!signRequest(request, AwsCredentials{"AKID", "", {}}, options).ok());
    QVERIFY(!signRequest(request, good, makeOptions("", "ec2", 1440938160)).ok());
    http::Request relative = makeRequest("GET", "/no/scheme");
    auto bad = signRequest(relative, good, options);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
    QVERIFY(bad.error().message.starts_with("SigV4: URL:"));
    QVERIFY(!presignUrl(request, good, options, std::chrono::seconds(0)).ok());
    QVERIFY(!presignUrl(request, good, options, std::chrono::seconds(604801)).ok());
    QVERIFY(presignUrl(request, good, options, std::chrono::seconds(604800)).ok());
  }

  void resigningReplacesOldHeaders() {
    http::Request request = makeRequest("GET", "https://ec2.us-east-1.amazonaws.com:443/?Action=DescribeRegions");
    const AwsCredentials credentials{"AKIDEXAMPLE", "secret", "token1"};
    SigV4Options options = makeOptions("us-east-1", "ec2", 1440938160);
    QVERIFY(signRequest(request, credentials, options).ok());
    options.nowUnix += 60;
    QVERIFY(signRequest(request, credentials, options).ok());
    int authorizations = 0, dates = 0, tokens = 0;
    for (const auto& [name, value] : request.headers) {
      authorizations += name == "Authorization";
      dates += name == "X-Amz-Date";
      tokens += name == "X-Amz-Security-Token";
    }
    QCOMPARE(authorizations, 1);
    QCOMPARE(dates, 1);
    QCOMPARE(tokens, 1);
    QCOMPARE(headerValue(request.headers, "Host"), std::string("ec2.us-east-1.amazonaws.com"));
    QCOMPARE(headerValue(request.headers, "X-Amz-Date"), std::string("20150830T123700Z"));
  }

  void learnsClockSkew() {
    QCOMPARE(parseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT").value_or(-1), std::int64_t{1440938160});
    QVERIFY(!parseHttpDate("30 Aug 2015 12:36:00"));
    http::Response response{403, {{"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}},
                            "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request "
                            "time and the current time is too large.</Message></Error>"};
    QCOMPARE(clockSkewFromResponse(response, 1440938160 - 900).value_or(0), std::int64_t{900});
    response.body = "<Error><Code>AccessDenied</Code></Error>";
    QVERIFY(!clockSkewFromResponse(response, 0));
  }
};

QTEST_APPLESS_MAIN(SigV4VectorsTest)
#include "SigV4VectorsTest.moc"
