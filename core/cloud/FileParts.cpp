#include "core/cloud/FileParts.h"

#include <charconv>
#include <fstream>
#include <system_error>

#include "core/auth/aws/SigV4.h"

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

ObjectInfo objectInfoFromHead(std::string_view key, const http::Response& response) {
  ObjectInfo info;
  info.key = std::string(key);
  const std::string length = response.header("Content-Length").value_or("");
  std::uint64_t size = 0;
  if (std::from_chars(length.data(), length.data() + length.size(), size).ec == std::errc()) info.size = size;
  info.etag = unquoteEtag(response.header("ETag").value_or(""));
  if (auto modified = response.header("Last-Modified"))
    info.modifiedUnix = auth::aws::parseHttpDate(*modified).value_or(0);
  return info;
}

Result<void> downloadToFile(std::string_view operation, const std::filesystem::path& file,
                            const DownloadCall& download) {
  const auto partial = std::filesystem::path(file).concat(".part");
  std::ofstream out;
  const auto restart = [&] {
    if (out.is_open()) out.close();
    out.open(partial, std::ios::binary | std::ios::trunc);
  };
  const auto write = [&](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    return static_cast<bool>(out);
  };
  auto response = download(write, restart);
  if (out.is_open()) out.close();
  if (!response) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    return response.error();
  }
  if (!std::filesystem::exists(partial)) std::ofstream(partial, std::ios::binary).close();  // empty object
  std::error_code ec;
  std::filesystem::rename(partial, file, ec);
  if (ec)
    return makeError(ErrorCode::Internal,
                     std::string(operation) + ": cannot write " + file.string() + ": " + ec.message());
  return {};
}

}  // namespace spotwise::cloud
