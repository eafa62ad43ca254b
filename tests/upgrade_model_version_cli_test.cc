// upgrade_model_version end to end on a v1-style checkpoint the test writes.
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "tests/cli_util.h"
#include "torch/types.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/upgrade_model_version";

std::string Tmp(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

pth::Value::Entry E(const std::string& key, pth::Value value) {
  return {pth::Value::String(key), std::move(value)};
}

TEST(UpgradeModelVersionCliTest, UpgradesAFasterRcnnV1Checkpoint) {
  const int64_t n = 3;  // 2 classes + background
  pth::Value ckpt = pth::Value::Dict({
      E("meta", pth::Value::Dict({E("mmdet_version", pth::Value::String("1.0.0"))})),
      E("state_dict", pth::Value::OrderedDict({
                          E("backbone.conv1.weight", pth::Value::Tensor(torch::ones({4, 3, 1, 1}))),
                          E("rpn_head.rpn_cls.weight", pth::Value::Tensor(torch::ones({3, 4, 1, 1}))),
                          E("bbox_head.fc_cls.weight",
                            pth::Value::Tensor(torch::arange(6.0).reshape({n, 2}).to(torch::kFloat))),
                          E("bbox_head.fc_reg.weight", pth::Value::Tensor(torch::ones({4 * n, 2}))),
                      })),
      E("optimizer", pth::Value::Dict({E("state", pth::Value::Dict())})),
  });
  const std::string in = Tmp("v1.pth"), out = Tmp("v2.pth");
  ASSERT_TRUE(pth::SavePth(in, ckpt).ok());
  auto result = RunCli(kTool, {in, out, "--num-classes", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("reorder cls channels of roi_head.bbox_head.fc_cls.weight\n"));
  EXPECT_THAT(result.out, HasSubstr("truncate regression channels of roi_head.bbox_head.fc_reg.weight\n"));
  auto upgraded = pth::LoadPth(out);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  // state_dict moves to the end (the script pops and re-adds it); meta and optimizer stay.
  ASSERT_EQ(upgraded->entries().size(), 3u);
  EXPECT_EQ(upgraded->entries()[2].key.as_string(), "state_dict");
  EXPECT_EQ(upgraded->Find("meta")->Find("mmdet_version")->as_string(), "1.0.0");
  const pth::Value* state = upgraded->Find("state_dict");
  ASSERT_NE(state->Find("roi_head.bbox_head.fc_cls.weight"), nullptr);
  EXPECT_EQ(state->Find("roi_head.bbox_head.fc_cls.weight")->tensor()[2][0].item<float>(), 0.0f);
  EXPECT_EQ(state->Find("roi_head.bbox_head.fc_reg.weight")->tensor().size(0), 8);
  EXPECT_NE(state->Find("rpn_head.rpn_cls.weight"), nullptr);
  EXPECT_TRUE(state->is_ordered_dict());
}

TEST(UpgradeModelVersionCliTest, BadInputExitsTwo) {
  const std::string corrupt = Tmp("corrupt.pth");
  ASSERT_TRUE(WriteFileAtomically(corrupt, "PK\x03\x04 not really a zip").ok());
  auto result = RunCli(kTool, {corrupt, Tmp("x.pth")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("upgrade_model_version: error: " + corrupt));

  const std::string bare = Tmp("bare.pth");
  ASSERT_TRUE(pth::SavePth(bare, pth::Value::OrderedDict({E("w", pth::Value::Tensor(torch::ones({1})))})).ok());
  result = RunCli(kTool, {bare, Tmp("y.pth")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("no 'state_dict' entry"));

  result = RunCli(kTool, {bare});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("expected IN_FILE OUT_FILE"));
  result = RunCli(kTool, {Tmp("none.pth"), Tmp("z.pth")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("none.pth"));
}

}  // namespace
}  // namespace mmdet
