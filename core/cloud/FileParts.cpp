#include "core/cloud/FileParts.h"

#include <fstream>

namespace spotwise::cloud {

Result<std::string> readFileRange(std::string_view operation, const std::filesystem::path& file, std::uint64_t offset,
                                  std::uint64_t length) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return makeError(ErrorCode::NotFound, std::string(operation) + ": cannot open " + file.string());
  in.seekg(static_cast<std::streamoff>(offset));
  std::string data(length, '\0');
  in.read(data.data(), static_cast<std::streamsize>(length));
  if (static_cast<std::uint64_t>(in.gcount()) != length)
    return makeError(ErrorCode::DataLoss, std::string(operation) + ": " + file.string() + " changed while uploading");
  return data;
}

std::string unquoteEtag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace spotwise::cloud
