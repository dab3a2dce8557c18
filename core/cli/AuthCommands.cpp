// spotwise-cli sign aws | sign azure-sas | auth test aws|gcp|azure: signing helpers for scripts
// and diagnosis, and the same "test connection" the Accounts page runs.
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/auth/ConnectionCheck.h"
#include "core/auth/aws/AwsConfig.h"
#include "core/auth/aws/SigV4.h"
#include "core/auth/azure/SharedKey.h"
#include "core/auth/gcp/GcpCredentials.h"
#include "core/cli/CliContext.h"
#include "core/common/Log.h"
#include "core/common/Time.h"
#include "core/http/CurlHttpClient.h"

namespace spotwise::cli {
namespace {

std::optional<std::string> env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

void fail(CliContext& context, const std::string& message) {
  context.err << "spotwise-cli: " << redactSecrets(message) << '\n';
  context.exitCode = 1;
}

// "20150830T123600Z" → Unix seconds.
std::optional<std::int64_t> parseAmzTime(const std::string& text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  return parseIso8601Utc(text.substr(0, 4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 2) + "T" + text.substr(9, 2) +
                         ":" + text.substr(11, 2) + ":" + text.substr(13, 2) + "Z");
}

struct SignAwsArgs {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::string bodyFile;
  std::string region;
  std::string service;
  std::string time;
  int presign = 0;
  bool unsignedPayload = false;
};

void signAws(const SignAwsArgs& args, CliContext& context) {
  const auto key = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!key || !secret) return fail(context, "sign aws: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
  const auth::aws::AwsCredentials credentials{*key, *secret, env("AWS_SESSION_TOKEN").value_or("")};
  http::Request request;
  request.method = args.method;
  request.url = args.url;
  for (const auto& header : args.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0)
      return fail(context, "sign aws: --header '" + header + "' is not 'Name: value'");
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(header.substr(0, colon), value);
  }
  if (!args.bodyFile.empty()) {
    std::ifstream in(args.bodyFile, std::ios::binary);
    if (!in) return fail(context, "sign aws: cannot read --body-file " + args.bodyFile);
    std::ostringstream body;
    body << in.rdbuf();
    request.body = body.str();
  }
  auth::aws::SigV4Options options;
  options.region = args.region;
  options.service = args.service;
  options.s3 = args.service == "s3";
  options.unsignedPayload = args.unsignedPayload;
  if (!args.time.empty()) {
    auto when = parseAmzTime(args.time);
    if (!when) return fail(context, "sign aws: --time '" + args.time + "' is not YYYYMMDDTHHMMSSZ");
    options.nowUnix = *when;
  }
  if (args.presign > 0) {
    auto url = auth::aws::presignUrl(request, credentials, options, std::chrono::seconds(args.presign));
    if (!url) return fail(context, url.error().message);
    context.out << nlohmann::json{{"url", *url}}.dump(2) << '\n';
    return;
  }
  if (auto ok = auth::aws::signRequest(request, credentials, options); !ok) return fail(context, ok.error().message);
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : request.headers) {
    if (headers.contains(name)) headers[name] = headers[name].get<std::string>() + "," + value;
    else headers[name] = value;
  }
  context.out << nlohmann::json{{"headers", headers}}.dump(2) << '\n';
}

struct SasArgs {
  std::string account;
  std::string keyEnv;
  std::string container;
  std::string prefix;
  std::string blob;
  std::string permissions;
  std::string expiry;
  std::string start;
  std::string ip;
  bool httpsOnly = false;
};

void signAzureSas(const SasArgs& args, CliContext& context) {
  const auto key = env(args.keyEnv);
  if (!key) return fail(context, "sign azure-sas: the environment variable " + args.keyEnv + " (--key-env) is not set");
  auth::azure::ServiceSasOptions options;
  options.container = args.container;
  options.permissions = args.permissions;
  if (!args.blob.empty() && !args.prefix.empty()) return fail(context, "sign azure-sas: give --blob or --prefix, not both");
  if (!args.blob.empty()) {
    options.resource = auth::azure::SasResource::Blob;
    options.blob = args.blob;
  } else if (!args.prefix.empty()) {
    options.resource = auth::azure::SasResource::Directory;
    options.blob = args.prefix;
  }
  auto expiry = parseIso8601Utc(args.expiry);
  if (!expiry) return fail(context, "sign azure-sas: --expiry '" + args.expiry + "' is not an ISO 8601 UTC time (2030-01-01T00:00:00Z)");
  options.expiryUnix = *expiry;
  if (!args.start.empty()) {
    auto start = parseIso8601Utc(args.start);
    if (!start) return fail(context, "sign azure-sas: --start '" + args.start + "' is not an ISO 8601 UTC time");
    options.startUnix = *start;
  }
  options.ipRange = args.ip;
  options.httpsOnly = args.httpsOnly;
  auto sas = auth::azure::makeServiceSas({args.account, *key}, options);
  if (!sas) return fail(context, "sign azure-sas: " + sas.error().message);
  context.out << *sas << '\n';
}

void printReport(const Result<auth::ConnectionReport>& report, bool json, CliContext& context) {
  if (!report) {
    if (json) context.out << nlohmann::json{{"ok", false}, {"error", redactSecrets(report.error().toString())}}.dump(2) << '\n';
    return fail(context, report.error().toString());
  }
  if (json) {
    context.out << nlohmann::json{{"ok", true}, {"provider", report->provider}, {"identity", report->identity},
                                  {"account", report->account}, {"detail", report->detail}, {"source", report->source}}
                       .dump(2)
                << '\n';
  } else {
    context.out << report->provider << ": credentials work\n"
                << "  identity: " << report->identity << '\n'
                << "  account:  " << report->account << '\n';
    if (!report->detail.empty()) context.out << "  detail:   " << report->detail << '\n';
    context.out << "  source:   " << report->source << '\n';
  }
  context.exitCode = 0;
}

}  // namespace

void addAuthCommands(CLI::App& app, CliContext& context) {
  // sign aws / sign azure-sas
  auto* sign = app.add_subcommand("sign", "Sign a request (AWS SigV4) or make an Azure SAS, for scripts and diagnosis");
  sign->require_subcommand(1);
  auto aws = std::make_shared<SignAwsArgs>();
  auto* signAwsCommand = sign->add_subcommand("aws", "Print the headers (or presigned URL) of a SigV4-signed request; "
                                                     "credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN");
  signAwsCommand->add_option("--method", aws->method, "HTTP method")->capture_default_str();
  signAwsCommand->add_option("--url", aws->url, "absolute, percent-encoded URL")->required();
  signAwsCommand->add_option("--header", aws->headers, "'Name: value' (repeatable)");
  signAwsCommand->add_option("--body-file", aws->bodyFile, "file holding the request body");
  signAwsCommand->add_option("--region", aws->region, "signing region")->required();
  signAwsCommand->add_option("--service", aws->service, "signing name (s3 uses S3's rules)")->required();
  signAwsCommand->add_option("--time", aws->time, "signing time, e.g. 20150830T123600Z (default: now)");
  signAwsCommand->add_option("--presign", aws->presign, "print a presigned URL valid this many seconds")->check(CLI::Range(1, 604800));
  signAwsCommand->add_flag("--unsigned-payload", aws->unsignedPayload, "sign UNSIGNED-PAYLOAD instead of the body hash");
  signAwsCommand->callback([aws, &context] { signAws(*aws, context); });

  auto sas = std::make_shared<SasArgs>();
  auto* sasCommand = sign->add_subcommand("azure-sas", "Print a Blob service SAS query string (container, blob or prefix)");
  sasCommand->add_option("--account", sas->account, "storage account name")->required();
  sasCommand->add_option("--key-env", sas->keyEnv, "environment variable holding the account key")->required();
  sasCommand->add_option("--container", sas->container, "container")->required();
  sasCommand->add_option("--prefix", sas->prefix, "directory prefix (directory SAS; hierarchical-namespace accounts)");
  sasCommand->add_option("--blob", sas->blob, "one blob");
  sasCommand->add_option("--permissions", sas->permissions, "e.g. rl, rcw (r a c w d x y l t m e o p)")->required();
  sasCommand->add_option("--expiry", sas->expiry, "ISO 8601 UTC, e.g. 2030-01-01T00:00:00Z")->required();
  sasCommand->add_option("--start", sas->start, "ISO 8601 UTC start time");
  sasCommand->add_option("--ip", sas->ip, "allowed client IP or range a.b.c.d-e.f.g.h");
  sasCommand->add_flag("--https-only", sas->httpsOnly, "refuse plain HTTP");
  sasCommand->callback([sas, &context] { signAzureSas(*sas, context); });

  // auth test aws|gcp|azure
  auto* authCommand = app.add_subcommand("auth", "Credentials: check that they work");
  authCommand->require_subcommand(1);
  auto* test = authCommand->add_subcommand("test", "Test the credentials of one provider (exit 0 when they work)");
  test->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  test->add_flag("--json", *json, "print JSON");

  auto profile = std::make_shared<std::string>();
  auto* testAws = test->add_subcommand("aws", "STS GetCallerIdentity with the AWS CLI's credential chain");
  testAws->add_option("--profile", *profile, "profile in ~/.aws/credentials or ~/.aws/config");
  testAws->add_flag("--json", *json, "print JSON");
  testAws->callback([profile, json, &context] {
    http::CurlHttpClient client;
    auth::aws::AwsResolverOptions options;
    options.env = env;
    options.client = &client;
    options.runProcess = auth::aws::systemProcessRunner();
    printReport(auth::checkAwsConnection(client, options, profile->empty() ? std::nullopt : std::optional(*profile)), *json,
                context);
  });

  auto project = std::make_shared<std::string>();
  auto* testGcp = test->add_subcommand("gcp", "A token from application default credentials, then projects.get");
  testGcp->add_option("--project", *project, "project id (default: the key's)");
  testGcp->add_flag("--json", *json, "print JSON");
  testGcp->callback([project, json, &context] {
    auto credentials = auth::gcp::loadApplicationDefaultCredentials(env);
    if (!credentials) return printReport(credentials.error(), *json, context);
    http::CurlHttpClient client;
    printReport(auth::checkGcpConnection(client, *credentials, *project, env("SPOTWISE_GCP_RESOURCE_MANAGER_URL").value_or("")),
                *json, context);
  });

  auto* testAzure = test->add_subcommand("azure", "An Azure AD token (AZURE_* variables), then the subscription");
  testAzure->add_flag("--json", *json, "print JSON");
  testAzure->callback([json, &context] {
    auto principal = auth::azure::servicePrincipalFromEnvironment(env);
    if (!principal) return printReport(principal.error(), *json, context);
    http::CurlHttpClient client;
    printReport(auth::checkAzureConnection(client, *principal, env("SPOTWISE_AZURE_ARM_URL").value_or("")), *json, context);
  });
}

}  // namespace spotwise::cli
