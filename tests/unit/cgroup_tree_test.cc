// CgroupTree on a real directory tree (inotify works on any local file
// system), and with scripted watches for what a test cannot make happen:
// lost events, a watch limit, a cgroup made through another namespace.
#include "collectors/cgroup/cgroup_tree.h"

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_host_fs.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A watch that reports only what the test scripts, and adds watches as told.
class ScriptedWatch : public DirectoryWatch {
 public:
  absl::StatusOr<int> Add(HostRoot, absl::string_view) override {
    if (!add_status.ok()) return add_status;
    return ++last_id;
  }
  void Remove(int) override {}
  absl::StatusOr<DirectoryChanges> TakeChanges() override {
    DirectoryChanges changes;
    changes.overflowed = overflow;
    overflow = false;
    return changes;
  }
  absl::Status add_status;
  bool overflow = false;
  int last_id = 0;
};

// The real file system below a temporary sysfs root, counting directory
// listings, with the real watch or a scripted one.
class CountingFs : public HostFs {
 public:
  explicit CountingFs(const fs::path& sysfs) : real_(NewRealHostFs({"/proc", sysfs, "/"})) {}

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    return real_->ReadFile(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                   absl::string_view path) const override {
    return real_->ListDir(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                       absl::string_view path) const override {
    ++lists;
    return real_->ListSubdirs(root, path);
  }
  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    return real_->Exists(root, path);
  }
  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    return real_->Stat(root, path);
  }
  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    return real_->ReadFileChunks(root, path, consume);
  }
  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    return real_->ReadFileTail(root, path, max_bytes);
  }
  absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const override {
    return real_->ReadLink(root, path);
  }
  std::string Resolve(HostRoot root, absl::string_view path) const override {
    return real_->Resolve(root, path);
  }
  absl::StatusOr<std::unique_ptr<DirectoryWatch>> WatchDirectories() const override {
    ++watches_made;
    if (!scripted) return real_->WatchDirectories();
    auto watch = std::make_unique<ScriptedWatch>();
    watch->add_status = scripted_add_status;
    watch->overflow = scripted_overflow;
    last_scripted = watch.get();
    return watch;
  }

  mutable int lists = 0;
  mutable int watches_made = 0;
  bool scripted = false;
  absl::Status scripted_add_status;
  bool scripted_overflow = false;
  mutable ScriptedWatch* last_scripted = nullptr;

 private:
  std::unique_ptr<HostFs> real_;
};

class CgroupTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/strata-cgroup-tree-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    sysfs_ = pattern;
    for (const char* h : {"memory", "pids"}) fs::create_directories(sysfs_ / "fs/cgroup" / h);
    fs_ = std::make_unique<CountingFs>(sysfs_);
  }
  void TearDown() override { fs::remove_all(sysfs_); }

  void Make(const char* hierarchy, const std::string& path) {
    fs::create_directories(sysfs_ / "fs/cgroup" / hierarchy / path.substr(1));
  }
  void Remove(const char* hierarchy, const std::string& path) {
    fs::remove_all(sysfs_ / "fs/cgroup" / hierarchy / path.substr(1));
  }
  std::vector<HierarchyLocation> Hierarchies() const {
    return {{HostRoot::kSys, "fs/cgroup/memory"}, {HostRoot::kSys, "fs/cgroup/pids"}};
  }
  std::vector<std::string> Paths(CgroupTree& tree, absl::Time now = absl::UnixEpoch()) {
    const CgroupWalk& walk = tree.Refresh(Hierarchies(), now);
    EXPECT_TRUE(walk.status.ok()) << walk.status;
    return walk.paths;
  }

  fs::path sysfs_;
  std::unique_ptr<CountingFs> fs_;
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

TEST_F(CgroupTreeTest, AnUnchangedTreeIsNotListedAgain) {
  Make("memory", "/system.slice/a.service");
  Make("pids", "/system.slice/b.service");
  CgroupTree tree(*fs_, logger_, 6, absl::Minutes(1));
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/system.slice", "/system.slice/a.service",
                                       "/system.slice/b.service"));
  const int lists = fs_->lists;
  EXPECT_EQ(lists, 6);  // every directory of both hierarchies, once
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(
        Paths(tree, absl::UnixEpoch() + absl::Seconds(10 * i)),
        ElementsAre("/", "/system.slice", "/system.slice/a.service", "/system.slice/b.service"));
  }
  EXPECT_EQ(fs_->lists, lists);
  EXPECT_EQ(tree.full_walks(), 1);
}

TEST_F(CgroupTreeTest, SeesCgroupsMadeRemovedAndRenamedBeforeTheNextRefresh) {
  Make("memory", "/system.slice/a.service");
  Make("pids", "/system.slice/a.service");
  CgroupTree tree(*fs_, logger_, 6, absl::Hours(1));
  Paths(tree);

  Make("memory", "/kubepods/pod1/c1");  // three levels in one go
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/kubepods", "/kubepods/pod1", "/kubepods/pod1/c1",
                                       "/system.slice", "/system.slice/a.service"));
  const int lists = fs_->lists;

  Remove("memory", "/system.slice/a.service");  // still in pids
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/kubepods", "/kubepods/pod1", "/kubepods/pod1/c1",
                                       "/system.slice", "/system.slice/a.service"));
  Remove("pids", "/system.slice/a.service");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/kubepods", "/kubepods/pod1", "/kubepods/pod1/c1",
                                       "/system.slice"));

  fs::rename(sysfs_ / "fs/cgroup/memory/kubepods/pod1", sysfs_ / "fs/cgroup/memory/kubepods/pod2");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/kubepods", "/kubepods/pod2", "/kubepods/pod2/c1",
                                       "/system.slice"));
  // Only the directories that changed were listed, never the whole tree.
  EXPECT_LT(fs_->lists - lists, 8);
  EXPECT_EQ(tree.full_walks(), 1);

  // A cgroup made in a renamed one is seen: it is watched under its new name.
  Make("memory", "/kubepods/pod2/c2");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/kubepods", "/kubepods/pod2", "/kubepods/pod2/c1",
                                       "/kubepods/pod2/c2", "/system.slice"));
}

TEST_F(CgroupTreeTest, KeepsToTheDepthLimit) {
  Make("memory", "/a/b/c/d");
  CgroupTree tree(*fs_, logger_, 2, absl::Hours(1));
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/a", "/a/b"));
  Make("memory", "/a/b/x");  // below the limit: not looked for
  Make("memory", "/y/z/w");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/a", "/a/b", "/y", "/y/z"));
}

TEST_F(CgroupTreeTest, WalksAgainAtTheRescanInterval) {
  fs_->scripted = true;  // a watch that sees nothing: as for another namespace's mount
  CgroupTree tree(*fs_, logger_, 6, absl::Minutes(1));
  const absl::Time start = absl::UnixEpoch();
  EXPECT_THAT(Paths(tree, start), ElementsAre("/"));
  Make("memory", "/nested");
  EXPECT_THAT(Paths(tree, start + absl::Seconds(30)), ElementsAre("/"));
  EXPECT_THAT(Paths(tree, start + absl::Seconds(61)), ElementsAre("/", "/nested"));
  EXPECT_EQ(tree.full_walks(), 2);
}

TEST_F(CgroupTreeTest, ForgetsACgroupWhoseFilesAreGone) {
  fs_->scripted = true;
  Make("memory", "/gone/child");
  CgroupTree tree(*fs_, logger_, 6, absl::Hours(1));
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/gone", "/gone/child"));
  Remove("memory", "/gone");
  tree.Forget("/gone");
  EXPECT_THAT(Paths(tree), ElementsAre("/"));
  EXPECT_EQ(tree.full_walks(), 1);
}

TEST_F(CgroupTreeTest, LostEventsMeanAWholeWalk) {
  fs_->scripted = true;
  fs_->scripted_overflow = true;
  CgroupTree tree(*fs_, logger_, 6, absl::Hours(1));
  Paths(tree);
  Make("pids", "/new");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/new"));
  EXPECT_EQ(tree.full_walks(), 2);
  EXPECT_THAT(log_.str(), HasSubstr("events lost"));
}

TEST_F(CgroupTreeTest, WithoutWatchesEveryRefreshWalks) {
  fs_->scripted = true;
  fs_->scripted_add_status = absl::ResourceExhaustedError("max_user_watches reached");
  CgroupTree tree(*fs_, logger_, 6, absl::Hours(1));
  Paths(tree);
  Make("memory", "/new");
  EXPECT_THAT(Paths(tree), ElementsAre("/", "/new"));
  Paths(tree);
  EXPECT_EQ(tree.full_walks(), 3);
  // Said once, and no new watch is asked for on every walk.
  EXPECT_THAT(log_.str(), HasSubstr("max_user_watches reached"));
  EXPECT_EQ(fs_->watches_made, 1);
}

TEST_F(CgroupTreeTest, ZeroIntervalWalksEveryTimeWithoutAWatch) {
  CgroupTree tree(*fs_, logger_, 6, absl::ZeroDuration());
  Paths(tree);
  Paths(tree);
  EXPECT_EQ(tree.full_walks(), 2);
  EXPECT_EQ(fs_->watches_made, 0);
}

TEST_F(CgroupTreeTest, AFileSystemThatCannotWatchIsWalkedEveryTime) {
  FakeHostFs fake;
  fake.AddDir(HostRoot::kSys, "fs/cgroup/memory");
  CgroupTree tree(fake, logger_, 6, absl::Hours(1));
  tree.Refresh({{HostRoot::kSys, "fs/cgroup/memory"}}, absl::UnixEpoch());
  fake.AddDir(HostRoot::kSys, "fs/cgroup/memory/new");
  EXPECT_THAT(tree.Refresh({{HostRoot::kSys, "fs/cgroup/memory"}}, absl::UnixEpoch()).paths,
              ElementsAre("/", "/new"));
  EXPECT_TRUE(log_.str().empty()) << log_.str();  // not a problem worth a line
}

TEST_F(CgroupTreeTest, AHierarchyThatCannotBeListedFailsAndIsTriedAgain) {
  CgroupTree tree(*fs_, logger_, 6, absl::Hours(1));
  std::vector<HierarchyLocation> hierarchies = Hierarchies();
  hierarchies.push_back({HostRoot::kSys, "fs/cgroup/blkio"});
  EXPECT_TRUE(absl::IsNotFound(tree.Refresh(hierarchies, absl::UnixEpoch()).status));
  Make("blkio", "/x");
  const CgroupWalk& walk = tree.Refresh(hierarchies, absl::UnixEpoch());
  EXPECT_TRUE(walk.status.ok()) << walk.status;
  EXPECT_THAT(walk.paths, ElementsAre("/", "/x"));
}

}  // namespace
}  // namespace strata::testing
