#include "ui/launch/LaunchDefaults.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <system_error>

#include <QFile>

#include "core/jobs/Runtime.h"

namespace spotwise::ui {

namespace fs = std::filesystem;

namespace {

// The checkpoint interval the planner recommends for `offer` under `request` (a few simulated runs
// suffice: only the interval is used). One hour when the offer cannot be planned.
double recommendedIntervalHours(const pricing::Offer& offer, bool spot, planner::PlanRequest request) {
  pricing::Offer planned = offer;
  if (!spot) {
    planned.spot = offer.onDemand;
    request.hazard.offerOverrides[planner::offerKey(offer)] = 0.0;
  }
  request.runs = 100;
  request.intervalHours.reset();
  auto plan = planner::planOffer(planned, request);
  return plan ? plan->shape.intervalHours : 1.0;
}

}  // namespace

LaunchPrefill prefillFromOffer(const pricing::Offer& offer) {
  LaunchPrefill prefill;
  prefill.offer = offer;
  prefill.spot = offer.spot.has_value() || !offer.onDemand;
  planner::PlanRequest& r = prefill.request;
  r.work.unit = planner::WorkUnit::GpuHours;
  r.gpuModel = offer.gpuModel;
  r.gpuCount = std::max(1, offer.gpuCount);
  r.work.gpuHours = kExampleHours * r.gpuCount;
  r.checkpointMinutes = 0.1;  // the example's checkpoint is one small JSON file
  prefill.intervalHours = recommendedIntervalHours(offer, prefill.spot, r);
  return prefill;
}

LaunchPrefill prefillFromPlan(const planner::OfferPlan& plan, const planner::PlanRequest& request) {
  LaunchPrefill prefill;
  prefill.offer = plan.offer;
  prefill.spot = true;  // the Planner ranks spot offers
  prefill.request = request;
  prefill.request.gpuModel = plan.offer.gpuModel;
  prefill.request.gpuCount = std::max(1, plan.offer.gpuCount);
  prefill.intervalHours = plan.shape.intervalHours;
  prefill.p90CostUsd = plan.simulation.costUsd.p90;
  prefill.p90Hours = plan.simulation.hours.p90;
  prefill.fromPlanner = true;
  return prefill;
}

pricing::Offer machineOfJobOffer(const jobs::JobOffer& o) {
  pricing::Offer offer;
  offer.provider = pricing::parseProvider(o.provider).value_or(pricing::CloudProvider::Aws);
  offer.region = o.region;
  offer.zone = o.zone;
  offer.instanceType = o.instanceType;
  offer.gpuModel = o.gpuModel;
  offer.gpuCount = o.gpuCount;
  return offer;
}

LaunchPrefill prefillFromJobSpec(const jobs::JobSpec& spec) {
  const jobs::JobOffer& o = spec.offer;
  // A Local rehearsal keeps the machine it rehearses; its cloud is not in the file.
  pricing::Offer offer = machineOfJobOffer(o);
  if (o.spot) offer.spot = pricing::Price{o.pricePerHour, "job file", 0};
  if (o.onDemandPricePerHour) offer.onDemand = pricing::Price{*o.onDemandPricePerHour, "job file", 0};
  else if (!o.spot) offer.onDemand = pricing::Price{o.pricePerHour, "job file", 0};
  LaunchPrefill prefill = prefillFromOffer(offer);
  prefill.spot = o.spot;
  if (spec.checkpointSyncSeconds > 0) prefill.intervalHours = spec.checkpointSyncSeconds / 3600.0;
  return prefill;
}

Result<fs::path> exampleCodeFolder() {
  // The same folder the Jobs page's "Launch the example" writes: one copy on disk.
  const fs::path dir = jobs::defaultLocalRoot() / "examples";
  const fs::path file = dir / "train.py";
  QFile source(QStringLiteral(":/examples/train.py"));
  if (!source.open(QIODevice::ReadOnly)) {
    return makeError(ErrorCode::NotFound, "ExampleWorkload: the example program is not embedded in this build");
  }
  const QByteArray content = source.readAll();
  {
    std::ifstream in(file, std::ios::binary);
    if (in) {
      const std::string existing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (existing == content.toStdString()) return dir;
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "ExampleWorkload: cannot create " + dir.string() + ": " + ec.message());
  const fs::path temp = file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(content.constData(), content.size());
    if (!out.flush()) return makeError(ErrorCode::PermissionDenied, "ExampleWorkload: cannot write " + temp.string());
  }
  fs::rename(temp, file, ec);
  if (ec) return makeError(ErrorCode::PermissionDenied, "ExampleWorkload: cannot write " + file.string() + ": " + ec.message());
  return dir;
}

std::string defaultLocalStorage() {
  std::error_code ec;
  fs::path root = fs::absolute(jobs::defaultLocalRoot(), ec);
  if (ec) root = jobs::defaultLocalRoot();
  return "local://" + (root / "bucket").lexically_normal().string();
}

std::string storageExample(std::string_view provider) {
  if (provider == "aws") return "s3://your-bucket/spotwise";
  if (provider == "gcp") return "gs://your-bucket/spotwise";
  if (provider == "azure") return "az://account/container/spotwise";
  return "local:///path/to/folder";
}

jobs::JobOffer jobOfferFor(const pricing::Offer& offer, bool spot, bool rehearse) {
  jobs::JobOffer o;
  o.provider = rehearse ? "local" : std::string(pricing::providerId(offer.provider));
  o.region = rehearse ? "local" : offer.region;
  o.zone = rehearse ? "" : offer.zone;
  o.instanceType = offer.instanceType;
  o.spot = spot;
  const auto& price = spot ? offer.spot : offer.onDemand;
  o.pricePerHour = price ? price->usdPerHour : 0.0;
  if (offer.onDemand) o.onDemandPricePerHour = offer.onDemand->usdPerHour;
  o.gpuModel = offer.gpuModel;
  o.gpuCount = offer.gpuCount;
  return o;
}

}  // namespace spotwise::ui
