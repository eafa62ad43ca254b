#include "mmdet/core/op_profile.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sstream>

namespace mmdet {
namespace {

const OpTime* Find(const std::vector<OpTime>& rows, const std::string& name) {
  for (const OpTime& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

TEST(OpProfileTest, CountsEachOpWhileAlive) {
  at::Tensor a = at::randn({64, 64});
  at::relu(a);  // before the profile: not counted
  std::vector<OpTime> rows;
  {
    OpProfile profile;
    for (int i = 0; i < 3; ++i) at::relu(at::mm(a, a));
    rows = profile.Collect();
  }
  const OpTime* mm = Find(rows, "aten::mm");
  const OpTime* relu = Find(rows, "aten::relu");
  ASSERT_NE(mm, nullptr);
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(mm->calls, 3);
  EXPECT_EQ(relu->calls, 3);
  for (const OpTime& row : rows) EXPECT_GE(row.self_ms, 0) << row.name;
  // Largest first.
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_GE(rows[i - 1].self_ms, rows[i].self_ms);

  OpProfile again;  // a new profile starts from nothing, and the old one's callback is gone
  at::mm(a, a);
  std::vector<OpTime> fresh = again.Collect();
  ASSERT_NE(Find(fresh, "aten::mm"), nullptr);
  EXPECT_EQ(Find(fresh, "aten::mm")->calls, 1);
  EXPECT_EQ(Find(fresh, "aten::relu"), nullptr);
}

TEST(OpProfileTest, SelfTimeExcludesCallees) {
  // aten::linear calls aten::t and aten::addmm (or matmul): its self time is what is left.
  at::Tensor x = at::randn({256, 512}), w = at::randn({512, 512}), b = at::randn({512});
  std::vector<OpTime> rows;
  {
    OpProfile profile;
    at::linear(x, w, b);
    rows = profile.Collect();
  }
  const OpTime* linear = Find(rows, "aten::linear");
  ASSERT_NE(linear, nullptr);
  EXPECT_EQ(linear->calls, 1);
  ASSERT_GE(rows.size(), 2u);
  EXPECT_NE(rows[0].name, "aten::linear");  // the matrix product, not its wrapper, dominates
}

TEST(OpProfileTest, PrintsAMarkdownTable) {
  std::vector<OpTime> rows = {{"aten::mm", 3.0, 2}, {"aten::relu", 1.0, 2}};
  std::ostringstream out;
  PrintOpTimes(rows, 1, out);
  EXPECT_EQ(out.str(),
            "| op | calls | self ms | share |\n|---|---|---|---|\n"
            "| aten::mm | 2 | 3.0 | 75.0% |\n"
            "4.0 ms of self time in 2 ops\n");
}

}  // namespace
}  // namespace mmdet
