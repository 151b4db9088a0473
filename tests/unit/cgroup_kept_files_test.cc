// KeptFiles on a real temporary tree: files stay open between scrapes, are
// read again from their start, and are closed once a scrape no longer reads
// them.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "collectors/cgroup/kept_files.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

class KeptFilesTest : public ::testing::Test {
 protected:
  KeptFilesTest() {
    std::string templ = (fs::temp_directory_path() / "strata-kept-XXXXXX").string();
    root_ = mkdtemp(templ.data());
    HostPaths paths;
    paths.rootfs = root_.string();
    fs_ = NewRealHostFs(paths);
  }
  ~KeptFilesTest() override { fs::remove_all(root_); }

  // Rewrites the file in place: the same inode, so a kept descriptor sees it.
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name, std::ios::binary | std::ios::trunc) << text;
  }
  std::string Read(KeptFiles& kept, const std::string& name) {
    absl::StatusOr<absl::string_view> text = kept.Read(HostRoot::kRootfs, name, buffer_);
    return text.ok() ? std::string(*text) : std::string(text.status().message());
  }
  static int OpenDescriptors() {
    return static_cast<int>(
        std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
  }

  fs::path root_;
  std::unique_ptr<HostFs> fs_;
  std::string buffer_;
};

TEST_F(KeptFilesTest, ReadsTheFileAsItIsNowThroughOneKeptDescriptor) {
  KeptFiles kept(*fs_, 100);
  Write("pids.current", "3\n");
  const int before = OpenDescriptors();
  EXPECT_EQ(Read(kept, "pids.current"), "3\n");
  EXPECT_EQ(OpenDescriptors(), before + 1);
  Write("pids.current", "12345\n");
  EXPECT_EQ(Read(kept, "pids.current"), "12345\n");
  Write("pids.current", "7\n");  // shorter than before: nothing of the old text left
  EXPECT_EQ(Read(kept, "pids.current"), "7\n");
  EXPECT_EQ(OpenDescriptors(), before + 1);
  EXPECT_EQ(kept.size(), 1u);
}

TEST_F(KeptFilesTest, ClosesWhatAScrapeDidNotRead) {
  KeptFiles kept(*fs_, 100);
  Write("a", "1");
  Write("b", "2");
  const int before = OpenDescriptors();
  Read(kept, "a");
  Read(kept, "b");
  kept.EndScrape();
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(Read(kept, "a"), "1");
  kept.EndScrape();
  EXPECT_EQ(kept.size(), 1u);
  EXPECT_EQ(OpenDescriptors(), before + 1);
}

TEST_F(KeptFilesTest, KeepsNoMoreThanItsCapacityAndReadsTheRestByName) {
  KeptFiles kept(*fs_, 1);
  Write("a", "1");
  Write("b", "2");
  EXPECT_EQ(Read(kept, "a"), "1");
  EXPECT_EQ(Read(kept, "b"), "2");
  EXPECT_EQ(kept.size(), 1u);
}

TEST_F(KeptFilesTest, AMissingFileIsNotFoundAndNotKept) {
  KeptFiles kept(*fs_, 100);
  absl::StatusOr<absl::string_view> text = kept.Read(HostRoot::kRootfs, "absent", buffer_);
  EXPECT_TRUE(absl::IsNotFound(text.status())) << text.status();
  EXPECT_EQ(kept.size(), 0u);
  // Not a regular file: refused when opened, as ReadFile refuses it.
  fs::create_directory(root_ / "dir");
  EXPECT_TRUE(absl::IsFailedPrecondition(kept.Read(HostRoot::kRootfs, "dir", buffer_).status()));
}

}  // namespace
}  // namespace strata
