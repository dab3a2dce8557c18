#include "core/pricing/sources/aws/AwsOffer.h"

#include <string_view>
#include <unordered_map>

#include "core/common/Numbers.h"
#include "core/common/Time.h"
#include "core/pricing/sources/JsonPullReader.h"

namespace spotwise::pricing::sources {

namespace {

using Token = JsonPullReader::Token;
constexpr std::string_view kOp = "AwsOffer: ";

/** The attributes of one product that the selection needs. */
struct Product {
  std::string sku, productFamily, instanceType, regionCode, location, operatingSystem, tenancy, capacityStatus, preInstalledSw,
      licenseModel, gpu, vcpu, memory;
};

/** "1,152 GiB" → 1152. */
std::optional<double> parseMemoryGiB(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c == ',') continue;
    if (c == ' ') break;
    digits += c;
  }
  return parseDouble(digits);
}

/** What is kept of a selected product until its price arrives: little, so memory stays small. */
struct Selected {
  std::string instanceType, regionCode;
  int gpus = 0;
  float vcpus = 0, ramGiB = 0;
  bool priced = false;
};

class OfferParser {
 public:
  OfferParser(std::istream& in, const AwsOfferOptions& options) : m_reader(in), m_options(options) {}

  Result<ParsedPrices> run() {
    if (m_reader.next() != Token::BeginObject) return failure("not a JSON object");
    for (;;) {
      const Token token = m_reader.next();
      if (token == Token::EndObject) break;
      if (token != Token::Key) return failure("expected a key at the top level");
      const std::string key(m_reader.text());
      if (key == "formatVersion" || key == "offerCode" || key == "publicationDate" || key == "version") {
        if (m_reader.next() != Token::String) return failure("'" + key + "' is not a string");
        m_header[key] = std::string(m_reader.text());
        if (key == "formatVersion" && m_reader.text() != "v1.0") {
          return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "unsupported formatVersion '" + m_header[key] + "'");
        }
        if (key == "offerCode" && m_reader.text() != "AmazonEC2") {
          return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "offerCode is '" + m_header[key] + "', not AmazonEC2");
        }
      } else if (key == "products") {
        if (auto r = readProducts(); !r) return r.error();
      } else if (key == "terms") {
        if (!m_sawProducts) {
          return makeError(ErrorCode::InvalidArgument,
                           std::string(kOp) + "'terms' comes before 'products'; the streaming reader needs products first");
        }
        if (auto r = readTerms(); !r) return r.error();
      } else if (!m_reader.skipValue()) {
        return failure("bad value of '" + key + "'");
      }
    }
    if (m_reader.next() != Token::End) return failure("trailing data after the offer");
    if (!m_header.contains("offerCode") || !m_header.contains("formatVersion")) {
      return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "not an AWS offer file (no offerCode/formatVersion)");
    }
    if (!m_sawProducts) return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "no 'products' in the offer file");
    std::int64_t asOf = m_options.asOfUnix;
    if (asOf == 0) asOf = parseIso8601Utc(m_header["publicationDate"]).value_or(0);
    for (auto& record : m_result.records) record.asOfUnix = asOf;
    if (m_noRegion > kMaxNamedWithoutRegion) {
      m_result.warnings.push_back("... and " + std::to_string(m_noRegion - kMaxNamedWithoutRegion) +
                                  " more GPU products without regionCode left out");
    }
    const std::size_t excluded = m_gpuProducts - m_selected.size() - m_noRegion;
    if (excluded > 0) {
      m_result.notes.push_back(std::to_string(excluded) +
                               " GPU products left out by the Linux/Shared/Used/NA/No License required selection");
    }
    std::size_t unpriced = 0;
    for (const auto& [sku, product] : m_selected) unpriced += product.priced ? 0 : 1;
    if (unpriced > 0) m_result.notes.push_back(std::to_string(unpriced) + " selected GPU products had no hourly USD on-demand price");
    if (m_zeroPrices > 0) m_result.notes.push_back(std::to_string(m_zeroPrices) + " $0 hourly prices left out (a missing price is never $0)");
    return std::move(m_result);
  }

 private:
  Error failure(const std::string& what) {
    if (!m_reader.error().empty()) {
      const bool truncated = m_reader.error().starts_with("truncated");
      return makeError(truncated ? ErrorCode::DataLoss : ErrorCode::InvalidArgument, std::string(kOp) + m_reader.error());
    }
    return makeError(ErrorCode::InvalidArgument,
                     std::string(kOp) + what + " (at byte " + std::to_string(m_reader.offset()) + ")");
  }

  Result<void> readProducts() {
    if (m_reader.next() != Token::BeginObject) return failure("'products' is not an object");
    for (;;) {
      Token token = m_reader.next();
      if (token == Token::EndObject) break;
      if (token != Token::Key) return failure("bad products entry");
      if (m_reader.next() != Token::BeginObject) return failure("a product is not an object");
      Product product;
      for (;;) {
        token = m_reader.next();
        if (token == Token::EndObject) break;
        if (token != Token::Key) return failure("bad product field");
        const std::string_view field = m_reader.text();
        if (field == "sku" || field == "productFamily") {
          const bool isSku = field == "sku";
          if (m_reader.next() != Token::String) return failure("product sku/productFamily is not a string");
          (isSku ? product.sku : product.productFamily) = std::string(m_reader.text());
        } else if (field == "attributes") {
          if (auto r = readAttributes(product); !r) return r;
        } else if (!m_reader.skipValue()) {
          return failure("bad product field value");
        }
      }
      ++m_result.itemsRead;
      consider(std::move(product));
    }
    m_sawProducts = true;
    return {};
  }

  Result<void> readAttributes(Product& product) {
    if (m_reader.next() != Token::BeginObject) return failure("product attributes is not an object");
    for (;;) {
      Token token = m_reader.next();
      if (token == Token::EndObject) return {};
      if (token != Token::Key) return failure("bad attribute");
      const std::string_view name = m_reader.text();
      std::string* slot = nullptr;
      if (name == "instanceType") slot = &product.instanceType;
      else if (name == "regionCode") slot = &product.regionCode;
      else if (name == "location") slot = &product.location;
      else if (name == "operatingSystem") slot = &product.operatingSystem;
      else if (name == "tenancy") slot = &product.tenancy;
      else if (name == "capacitystatus") slot = &product.capacityStatus;
      else if (name == "preInstalledSw") slot = &product.preInstalledSw;
      else if (name == "licenseModel") slot = &product.licenseModel;
      else if (name == "gpu") slot = &product.gpu;
      else if (name == "vcpu") slot = &product.vcpu;
      else if (name == "memory") slot = &product.memory;
      token = m_reader.next();
      if (token == Token::String) {
        if (slot) *slot = std::string(m_reader.text());
      } else if (token == Token::BeginObject || token == Token::BeginArray) {
        if (!m_reader.skipContainer()) return failure("bad attribute value");
      } else if (token == Token::Error || token == Token::End || token == Token::EndObject || token == Token::EndArray) {
        return failure("bad attribute value");
      }
    }
  }

  void consider(Product product) {
    if (!product.productFamily.starts_with("Compute Instance")) return;
    const auto gpus = parseDouble(product.gpu);
    if (!gpus || *gpus < 1) return;
    ++m_gpuProducts;
    if (product.operatingSystem != "Linux" || product.tenancy != "Shared" || product.capacityStatus != "Used" ||
        product.preInstalledSw != "NA" || product.licenseModel != "No License required") {
      return;
    }
    // The region: the product's regionCode, else the region the file is for. `location` ("US East (Ohio)")
    // is a display name whose wording changes over time (pricing-sources.md), so no price is placed by it:
    // without either the product is left out, naming it, rather than priced in an empty region.
    std::string region = product.regionCode.empty() ? m_options.regionHint : product.regionCode;
    if (region.empty()) {
      if (++m_noRegion <= kMaxNamedWithoutRegion) {
        m_result.warnings.push_back("product " + product.sku + " (" + product.instanceType + ", location '" + product.location +
                                    "') has no regionCode and the file's region is not known: left out");
      }
      return;
    }
    Selected kept;
    kept.instanceType = std::move(product.instanceType);
    kept.regionCode = std::move(region);
    kept.gpus = static_cast<int>(*gpus);
    kept.vcpus = static_cast<float>(parseDouble(product.vcpu).value_or(0));
    kept.ramGiB = static_cast<float>(parseMemoryGiB(product.memory).value_or(0));
    m_selected.emplace(std::move(product.sku), std::move(kept));
  }

  Result<void> readTerms() {
    if (m_reader.next() != Token::BeginObject) return failure("'terms' is not an object");
    for (;;) {
      Token token = m_reader.next();
      if (token == Token::EndObject) return {};
      if (token != Token::Key) return failure("bad terms entry");
      const bool onDemand = m_reader.text() == "OnDemand";
      if (!onDemand) {
        if (!m_reader.skipValue()) return failure("bad terms value");
        continue;
      }
      if (m_reader.next() != Token::BeginObject) return failure("terms.OnDemand is not an object");
      for (;;) {
        token = m_reader.next();
        if (token == Token::EndObject) break;
        if (token != Token::Key) return failure("bad OnDemand entry");
        const std::string sku(m_reader.text());
        const auto it = m_selected.find(sku);
        // The first term is always read whole: it tells which currency the file prices in.
        if (it == m_selected.end() && m_checkedCurrency) {
          if (!m_reader.skipValue()) return failure("bad OnDemand term of " + sku);
          continue;
        }
        if (auto r = readSkuTerms(it == m_selected.end() ? nullptr : &it->second); !r) return r;
      }
    }
  }

  /** One SKU's OnDemand terms: {"SKU.CODE": {priceDimensions: {...}, ...}, ...}. */
  Result<void> readSkuTerms(Selected* product) {
    if (m_reader.next() != Token::BeginObject) return failure("an OnDemand SKU entry is not an object");
    for (;;) {
      Token token = m_reader.next();
      if (token == Token::EndObject) return {};
      if (token != Token::Key) return failure("bad OnDemand term key");
      if (m_reader.next() != Token::BeginObject) return failure("an OnDemand term is not an object");
      for (;;) {
        token = m_reader.next();
        if (token == Token::EndObject) break;
        if (token != Token::Key) return failure("bad term field");
        if (m_reader.text() != "priceDimensions") {
          if (!m_reader.skipValue()) return failure("bad term field value");
          continue;
        }
        if (auto r = readDimensions(product); !r) return r;
      }
    }
  }

  Result<void> readDimensions(Selected* product) {
    if (m_reader.next() != Token::BeginObject) return failure("priceDimensions is not an object");
    for (;;) {
      Token token = m_reader.next();
      if (token == Token::EndObject) return {};
      if (token != Token::Key) return failure("bad priceDimensions entry");
      if (m_reader.next() != Token::BeginObject) return failure("a price dimension is not an object");
      std::string unit, usd, otherCurrency;
      for (;;) {
        token = m_reader.next();
        if (token == Token::EndObject) break;
        if (token != Token::Key) return failure("bad price dimension field");
        const std::string_view field = m_reader.text();
        if (field == "unit") {
          if (m_reader.next() != Token::String) return failure("price dimension unit is not a string");
          unit = std::string(m_reader.text());
        } else if (field == "pricePerUnit") {
          if (m_reader.next() != Token::BeginObject) return failure("pricePerUnit is not an object");
          for (;;) {
            token = m_reader.next();
            if (token == Token::EndObject) break;
            if (token != Token::Key) return failure("bad pricePerUnit entry");
            const std::string currency(m_reader.text());
            if (m_reader.next() != Token::String) return failure("pricePerUnit." + currency + " is not a string");
            if (currency == "USD") {
              usd = std::string(m_reader.text());
            } else if (otherCurrency.empty()) {
              otherCurrency = currency;
            }
          }
        } else if (!m_reader.skipValue()) {
          return failure("bad price dimension value");
        }
      }
      if (usd.empty() && !otherCurrency.empty()) {
        return makeError(ErrorCode::InvalidArgument, std::string(kOp) + "prices are in " + otherCurrency +
                                                         ", not USD (a China-partition offer file?); Spotwise compares USD prices only");
      }
      m_checkedCurrency = true;
      if (!product || unit != "Hrs" || usd.empty()) continue;
      const auto price = parseDouble(usd);
      if (!price || *price < 0) {
        return makeError(ErrorCode::InvalidArgument,
                         std::string(kOp) + "price of " + product->instanceType + " is not a number: '" + usd + "'");
      }
      if (*price == 0.0) {
        ++m_zeroPrices;
        continue;
      }
      if (product->priced) continue;  // one hourly price per product
      product->priced = true;
      PriceRecord record;
      record.provider = CloudProvider::Aws;
      record.region = product->regionCode;
      record.instanceType = product->instanceType;
      record.kind = PriceKind::OnDemand;
      record.usdPerHour = *price;
      record.sourceId = m_options.sourceId;
      record.gpuCount = product->gpus;
      record.vcpus = product->vcpus;
      record.ramGiB = product->ramGiB;
      m_result.records.push_back(std::move(record));
    }
  }

  JsonPullReader m_reader;
  const AwsOfferOptions& m_options;
  ParsedPrices m_result;
  std::unordered_map<std::string, std::string> m_header;
  std::unordered_map<std::string, Selected> m_selected;
  std::size_t m_gpuProducts = 0;
  std::size_t m_zeroPrices = 0;
  std::size_t m_noRegion = 0;  ///< selected GPU products left out: no regionCode and no regionHint
  static constexpr std::size_t kMaxNamedWithoutRegion = 10;
  bool m_sawProducts = false;
  bool m_checkedCurrency = false;
};

}  // namespace

Result<ParsedPrices> parseAwsOfferFile(std::istream& in, const AwsOfferOptions& options) {
  OfferParser parser(in, options);
  return parser.run();
}

}  // namespace spotwise::pricing::sources
