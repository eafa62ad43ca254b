#include "mmdet/core/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace mmdet {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(FileIoTest, WriteThenReadRoundTrips) {
  const std::string path = TempDir() + "/round_trip.bin";
  std::string contents("a\0b\nc", 5);
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
  // Overwrite replaces the whole file and leaves no temporary behind.
  ASSERT_TRUE(WriteFileAtomically(path, "x").ok());
  EXPECT_EQ(*ReadFile(path), "x");
  EXPECT_NE(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK), 0);
}

TEST(FileIoTest, ErrorsNameThePath) {
  absl::StatusOr<std::string> missing = ReadFile(TempDir() + "/does_not_exist.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does_not_exist.txt"), std::string::npos);

  absl::StatusOr<std::string> dir = ReadFile(TempDir());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument);

  absl::Status no_parent = WriteFileAtomically(TempDir() + "/no/such/dir/out.json", "{}");
  EXPECT_EQ(no_parent.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(no_parent.message().find("no/such/dir"), std::string::npos);
}

TEST(FileIoTest, MakeDirsCreatesParentsAndAcceptsExisting) {
  const std::string dir = TempDir() + "/a/b/c";
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(MakeDirs(dir + "/").ok());
  EXPECT_TRUE(WriteFileAtomically(dir + "/x", "1").ok());
  absl::Status status = MakeDirs("/proc/not_here/x");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/not_here: cannot create folder"), std::string::npos)
      << status;
}

TEST(FileIoTest, PathHelpers) {
  EXPECT_EQ(Dirname("configs/faster_rcnn/x.pbtxt"), "configs/faster_rcnn");
  EXPECT_EQ(Dirname("x.pbtxt"), ".");
  EXPECT_EQ(Dirname("/x.pbtxt"), "/");
  EXPECT_EQ(JoinPath("configs/a", "../_base_/b.pbtxt"), "configs/a/../_base_/b.pbtxt");
  EXPECT_EQ(JoinPath("configs/a", "/abs/b.pbtxt"), "/abs/b.pbtxt");
  EXPECT_EQ(JoinPath(".", "b"), "b");
  EXPECT_EQ(NormalizePath("configs/a/../_base_/./b.pbtxt"), "configs/_base_/b.pbtxt");
  EXPECT_EQ(NormalizePath("../x/../y"), "../y");
  EXPECT_EQ(NormalizePath("/a/../../b"), "/b");
  EXPECT_EQ(NormalizePath("a/.."), ".");
}

}  // namespace
}  // namespace mmdet
