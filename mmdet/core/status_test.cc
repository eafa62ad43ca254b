#include "mmdet/core/status.h"

#include "gtest/gtest.h"
#include "mmdet/core/status_macros.h"

namespace mmdet {
namespace {

absl::StatusOr<int> Half(int n) {
  MMDET_RET_CHECK(n % 2 == 0) << "odd value " << n;
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  MMDET_ASSIGN_OR_RETURN(int half, Half(n));
  MMDET_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckQuarter(int n) {
  MMDET_RETURN_IF_ERROR(Quarter(n).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateValuesAndErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  absl::StatusOr<int> odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(), "odd value 3");
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_EQ(CheckQuarter(5).message(), "odd value 5");
}

TEST(StatusTest, AnnotateKeepsCodeAndPrependsContext) {
  absl::Status annotated = Annotate(absl::NotFoundError("no such file"), "configs/a.pbtxt");
  EXPECT_EQ(annotated.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(annotated.message(), "configs/a.pbtxt: no such file");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

TEST(StatusTest, ExitCodes) {
  EXPECT_EQ(ExitCodeForStatus(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeForStatus(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeForStatus(absl::NotFoundError("x")), 2);
  EXPECT_EQ(ExitCodeForStatus(absl::DataLossError("x")), 2);
  EXPECT_EQ(ExitCodeForStatus(absl::FailedPreconditionError("x")), 2);
  EXPECT_EQ(ExitCodeForStatus(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeForStatus(absl::UnknownError("x")), 1);
}

}  // namespace
}  // namespace mmdet
