#include "collectors/drift/drift_hasher.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// One SHA-256 computation fed in pieces.
class Sha256 {
 public:
  absl::Status Init() {
    ctx_.reset(EVP_MD_CTX_new());
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      return absl::InternalError("OpenSSL: cannot start a SHA-256 digest");
    }
    return absl::OkStatus();
  }
  absl::Status Update(absl::string_view data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
      return absl::InternalError("OpenSSL: SHA-256 update failed");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> FinalHex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) {
      return absl::InternalError("OpenSSL: SHA-256 final failed");
    }
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  MdCtx ctx_;
};

}  // namespace

absl::StatusOr<std::string> Sha256HexOfFile(const HostFs& fs, HostRoot root, absl::string_view path,
                                            uint64_t* bytes_read) {
  Sha256 sha;
  if (absl::Status s = sha.Init(); !s.ok()) return s;
  uint64_t total = 0;
  absl::Status status = fs.ReadFileChunks(root, path, [&](absl::string_view chunk) {
    total += chunk.size();
    return sha.Update(chunk);
  });
  if (bytes_read != nullptr) *bytes_read = total;
  if (!status.ok()) return status;
  return sha.FinalHex();
}

FileDigest FileDigestCache::Get(const std::string& path) {
  FileDigest result;
  absl::StatusOr<FileStat> stat = fs_.Stat(HostRoot::kRootfs, path);
  if (!stat.ok()) {
    entries_.erase(path);
    result.state = absl::IsNotFound(stat.status()) ? FileDigest::State::kMissing
                                                   : FileDigest::State::kUnreadable;
    result.error = std::string(stat.status().message());
    return result;
  }
  if (stat->type != FileStat::Type::kRegular) {
    entries_.erase(path);
    result.state = FileDigest::State::kUnreadable;
    result.error = absl::StrCat(
        fs_.Resolve(HostRoot::kRootfs, path),
        stat->type == FileStat::Type::kDirectory ? ": is a directory" : ": not a regular file");
    return result;
  }
  const FileVersion version = FileVersion::Of(*stat);
  auto it = entries_.find(path);
  if (it != entries_.end() && it->second.version == version) {
    it->second.used = true;
    result.sha256 = it->second.sha256;
    return result;
  }
  uint64_t bytes = 0;
  absl::StatusOr<std::string> digest = Sha256HexOfFile(fs_, HostRoot::kRootfs, path, &bytes);
  bytes_hashed_ += bytes;
  if (!digest.ok()) {
    entries_.erase(path);
    result.state = absl::IsNotFound(digest.status()) ? FileDigest::State::kMissing
                                                     : FileDigest::State::kUnreadable;
    result.error = std::string(digest.status().message());
    return result;
  }
  // Keyed by the stat taken before reading: a change during the read shows
  // as a new version next time, so a stale digest is never kept.
  ++files_hashed_;
  entries_[path] = Entry{version, *digest, true};
  result.sha256 = *std::move(digest);
  return result;
}

void FileDigestCache::Sweep() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.used) {
      it = entries_.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace strata
