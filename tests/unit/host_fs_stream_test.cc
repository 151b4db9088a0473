// The real HostFs' Stat and ReadFileChunks on a private temporary tree.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "base/host_fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RealHostFsTest : public ::testing::Test {
 protected:
  RealHostFsTest() {
    std::string templ = (fs::temp_directory_path() / "strata-hostfs-XXXXXX").string();
    root_ = mkdtemp(templ.data());
    HostPaths paths;
    paths.rootfs = root_.string();
    fs_ = NewRealHostFs(paths);
  }
  ~RealHostFsTest() override { fs::remove_all(root_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name, std::ios::binary) << text;
  }

  fs::path root_;
  std::unique_ptr<HostFs> fs_;
};

TEST_F(RealHostFsTest, StatReportsWhatStat2Says) {
  Write("file", "12345");
  struct stat st;
  ASSERT_EQ(stat((root_ / "file").c_str(), &st), 0);
  absl::StatusOr<FileStat> got = fs_->Stat(HostRoot::kRootfs, "/file");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->type, FileStat::Type::kRegular);
  EXPECT_EQ(got->size, 5);
  EXPECT_EQ(got->inode, st.st_ino);
  EXPECT_EQ(got->device, st.st_dev);
  EXPECT_EQ(got->mode, st.st_mode & 07777);
  EXPECT_EQ(got->mtime, absl::TimeFromTimespec(st.st_mtim));
  EXPECT_EQ(got->ctime, absl::TimeFromTimespec(st.st_ctim));

  fs::create_directory(root_ / "dir");
  ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(fs_->Stat(HostRoot::kRootfs, "dir")->type, FileStat::Type::kDirectory);
  EXPECT_EQ(fs_->Stat(HostRoot::kRootfs, "fifo")->type, FileStat::Type::kFifo);
  EXPECT_TRUE(absl::IsNotFound(fs_->Stat(HostRoot::kRootfs, "absent").status()));
  EXPECT_TRUE(absl::IsNotFound(fs_->Stat(HostRoot::kRootfs, "file/below").status()));  // ENOTDIR

  fs::create_symlink("loop-b", root_ / "loop-a");
  fs::create_symlink("loop-a", root_ / "loop-b");
  absl::StatusOr<FileStat> loop = fs_->Stat(HostRoot::kRootfs, "loop-a");
  EXPECT_FALSE(loop.ok());
  EXPECT_THAT(loop.status().message(), HasSubstr("Too many levels of symbolic links"));
}

TEST_F(RealHostFsTest, ReadFileChunksStreamsAFileOfAnySize) {
  std::string contents;
  for (int i = 0; contents.size() < (200 << 10); ++i) contents += std::to_string(i) + "\n";
  Write("big", contents);
  std::string seen;
  int chunks = 0;
  absl::Status status = fs_->ReadFileChunks(HostRoot::kRootfs, "big", [&](absl::string_view chunk) {
    EXPECT_LE(chunk.size(), 64u << 10);
    seen.append(chunk.data(), chunk.size());
    ++chunks;
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, contents);
  EXPECT_GE(chunks, 4);
}

TEST_F(RealHostFsTest, ReadFileChunksRefusesWhatIsNotARegularFile) {
  fs::create_directory(root_ / "dir");
  ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);  // no writer
  auto ignore = [](absl::string_view) { return absl::OkStatus(); };
  absl::Status fifo = fs_->ReadFileChunks(HostRoot::kRootfs, "fifo", ignore);
  EXPECT_TRUE(absl::IsFailedPrecondition(fifo)) << fifo;
  EXPECT_THAT(fifo.message(), HasSubstr("not a regular file"));
  EXPECT_TRUE(absl::IsFailedPrecondition(fs_->ReadFileChunks(HostRoot::kRootfs, "dir", ignore)));
  EXPECT_TRUE(absl::IsNotFound(fs_->ReadFileChunks(HostRoot::kRootfs, "absent", ignore)));
}

// ReadFile opened blocking: a FIFO with no writer left the caller in open()
// for good.
TEST_F(RealHostFsTest, ReadFileRefusesWhatIsNotARegularFileWithoutBlocking) {
  fs::create_directory(root_ / "dir");
  ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);  // no writer
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> fifo = fs_->ReadFile(HostRoot::kRootfs, "fifo");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(absl::IsFailedPrecondition(fifo.status())) << fifo.status();
  EXPECT_THAT(fifo.status().message(),
              HasSubstr((root_ / "fifo").string() + ": not a regular file"));
  absl::StatusOr<std::string> dir = fs_->ReadFile(HostRoot::kRootfs, "dir");
  EXPECT_TRUE(absl::IsFailedPrecondition(dir.status())) << dir.status();
  EXPECT_TRUE(absl::IsNotFound(fs_->ReadFile(HostRoot::kRootfs, "absent").status()));
  Write("file", "text");
  EXPECT_EQ(*fs_->ReadFile(HostRoot::kRootfs, "file"), "text");
  // procfs and sysfs files are regular files of size 0, read to their end.
  std::unique_ptr<HostFs> proc = NewRealHostFs(HostPaths{});
  absl::StatusOr<std::string> stat = proc->ReadFile(HostRoot::kProc, "self/stat");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_FALSE(stat->empty());
}

TEST_F(RealHostFsTest, ReadFileChunksStopsAtTheConsumersError) {
  Write("file", std::string(200 << 10, 'x'));
  int chunks = 0;
  absl::Status status = fs_->ReadFileChunks(HostRoot::kRootfs, "file", [&](absl::string_view) {
    ++chunks;
    return absl::CancelledError("enough");
  });
  EXPECT_TRUE(absl::IsCancelled(status));
  EXPECT_EQ(chunks, 1);
}

// The host's / mounted at --path.rootfs holds absolute symlinks (Debian's
// /var/run -> /run among them): they name the host's files, so they resolve
// below the rootfs, never in the exporter's own root, and ".." stops at it.
TEST_F(RealHostFsTest, SymlinksResolveBelowTheRootfs) {
  fs::create_directories(root_ / "usr/lib");
  fs::create_directories(root_ / "etc");
  fs::create_directories(root_ / "run/podman");
  Write("usr/lib/os-release", "ID=rootfs-fixture\n");
  Write("run/podman/state", "host run");
  Write("etc/hostname", "rootfs-host");
  fs::create_symlink("/usr/lib/os-release", root_ / "etc/os-release");
  fs::create_symlink("/run", root_ / "var-run");
  fs::create_symlink("../../../../../../../../etc/hostname", root_ / "etc/escape");

  absl::StatusOr<std::string> release = fs_->ReadFile(HostRoot::kRootfs, "/etc/os-release");
  ASSERT_TRUE(release.ok()) << release.status();
  EXPECT_EQ(*release, "ID=rootfs-fixture\n");
  absl::StatusOr<std::string> escaped = fs_->ReadFile(HostRoot::kRootfs, "etc/escape");
  ASSERT_TRUE(escaped.ok()) << escaped.status();
  EXPECT_EQ(*escaped, "rootfs-host");
  absl::StatusOr<std::string> up = fs_->ReadFile(HostRoot::kRootfs, "../../../../etc/hostname");
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(*up, "rootfs-host");

  absl::StatusOr<std::vector<std::string>> listed = fs_->ListDir(HostRoot::kRootfs, "var-run");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ::testing::ElementsAre("podman"));
  absl::StatusOr<std::string> tail =
      fs_->ReadFileTail(HostRoot::kRootfs, "var-run/podman/state", 3);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(*tail, "run");
  absl::StatusOr<FileStat> stat = fs_->Stat(HostRoot::kRootfs, "var-run/podman");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->type, FileStat::Type::kDirectory);
  struct stat expected;
  ASSERT_EQ(::stat((root_ / "run/podman").c_str(), &expected), 0);
  EXPECT_EQ(stat->inode, static_cast<uint64_t>(expected.st_ino));
  absl::StatusOr<bool> exists = fs_->Exists(HostRoot::kRootfs, "var-run/podman/state");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_TRUE(*exists);
  absl::StatusOr<bool> missing = fs_->Exists(HostRoot::kRootfs, "var-run/nothing");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(*missing);

  // What is handed to other code by name (a socket to connect to) is the
  // resolved path below the rootfs.
  absl::StatusOr<std::string> real = fs_->RealPath(HostRoot::kRootfs, "/var-run/podman/state");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(fs::path(*real), fs::canonical(root_ / "run/podman/state"));
}

// With "/" as the rootfs, paths are opened as named.
TEST(RealHostFsSlashTest, RootfsSlashReadsTheExportersOwnFiles) {
  std::unique_ptr<HostFs> fs = NewRealHostFs(HostPaths{});
  absl::StatusOr<std::string> real = fs->RealPath(HostRoot::kRootfs, "/proc/self/../self/stat");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_THAT(*real, ::testing::EndsWith("/stat"));
  absl::StatusOr<bool> root = fs->Exists(HostRoot::kRootfs, "/");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(*root);
}

// --- ReadSmallFile -----------------------------------------------------------

TEST_F(RealHostFsTest, ReadSmallFileReadsWholeFilesOfAnySizeIntoOneBuffer) {
  Write("small", "42\n");
  const std::string big(100 << 10, 'x');  // beyond the first read's buffer
  Write("big", big);
  std::string buffer;
  absl::StatusOr<absl::string_view> small = fs_->ReadSmallFile(HostRoot::kRootfs, "small", buffer);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(*small, "42\n");
  absl::StatusOr<absl::string_view> whole = fs_->ReadSmallFile(HostRoot::kRootfs, "big", buffer);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, big);
  Write("empty", "");
  whole = fs_->ReadSmallFile(HostRoot::kRootfs, "empty", buffer);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, "");
}

TEST_F(RealHostFsTest, ReadSmallFileReadsAProcfsFileOfThisKernel) {
  std::string buffer;
  absl::StatusOr<absl::string_view> text =
      NewRealHostFs({})->ReadSmallFile(HostRoot::kProc, "self/stat", buffer);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(std::string(*text), HasSubstr(std::to_string(getpid())));
}

TEST_F(RealHostFsTest, ReadSmallFileNeverHangsOrRunsAway) {
  std::string buffer;
  EXPECT_TRUE(absl::IsNotFound(fs_->ReadSmallFile(HostRoot::kRootfs, "absent", buffer).status()));
  // A FIFO with no writer: O_NONBLOCK, so it reads as empty instead of blocking.
  ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);
  const absl::Time start = absl::Now();
  absl::StatusOr<absl::string_view> fifo = fs_->ReadSmallFile(HostRoot::kRootfs, "fifo", buffer);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  if (fifo.ok()) EXPECT_EQ(*fifo, "");
  // A directory is an error naming it.
  fs::create_directory(root_ / "dir");
  absl::StatusOr<absl::string_view> dir = fs_->ReadSmallFile(HostRoot::kRootfs, "dir", buffer);
  ASSERT_FALSE(dir.ok());
  EXPECT_THAT(std::string(dir.status().message()), HasSubstr("/dir"));
  // A file without end (a character device) stops at the limit.
  HostPaths dev;
  dev.rootfs = "/";
  absl::StatusOr<absl::string_view> zero =
      NewRealHostFs(dev)->ReadSmallFile(HostRoot::kRootfs, "/dev/zero", buffer);
  EXPECT_TRUE(absl::IsResourceExhausted(zero.status())) << zero.status();
}

}  // namespace
}  // namespace strata
