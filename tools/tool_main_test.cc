#include "tools/tool_main.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, work_dir, "", "test flag");
ABSL_FLAG(std::string, resume_from, "", "test flag");
ABSL_FLAG(bool, format_only, false, "test flag");
ABSL_FLAG(int, gpus, 1, "test flag");
ABSL_FLAG(std::string, out_dir, "", "test flag");
ABSL_FLAG(std::vector<std::string>, types, {}, "test flag");

namespace mmdet::tools {
namespace {

using ::testing::ElementsAre;

const ToolSpec kSpec{"test CONFIG", true, {{"o", "out_dir"}}};

NormalizedArgs Normalize(const std::vector<std::string>& argv, const ToolSpec& spec = kSpec) {
  absl::StatusOr<NormalizedArgs> out = NormalizeArgs(spec, argv);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : NormalizedArgs{};
}

TEST(NormalizeArgsTest, AcceptsV12AndV20Spellings) {
  EXPECT_THAT(Normalize({"tool", "cfg.pbtxt", "--work-dir", "w", "--resume-from=r.pth",
                         "--format-only"})
                  .argv,
              ElementsAre("tool", "cfg.pbtxt", "--work_dir=w", "--resume_from=r.pth",
                          "--format_only"));
  EXPECT_THAT(Normalize({"tool", "--work_dir=w", "--resume_from", "r.pth", "--noformat_only",
                         "--gpus", "4"})
                  .argv,
              ElementsAre("tool", "--work_dir=w", "--resume_from=r.pth", "--noformat_only",
                          "--gpus=4"));
}

TEST(NormalizeArgsTest, CollectsOptionsInBothSpellings) {
  NormalizedArgs out = Normalize({"tool", "cfg", "--options", "a=1", "b.c=[1,2]",
                                  "--cfg-options", "d=x", "--gpus=2", "tail", "--options=e=5"});
  EXPECT_THAT(out.options, ElementsAre("a=1", "b.c=[1,2]", "d=x", "e=5"));
  EXPECT_THAT(out.argv, ElementsAre("tool", "cfg", "--gpus=2", "tail"));
}

TEST(NormalizeArgsTest, ShortFlagsHelpAndNegativeNumbers) {
  NormalizedArgs out = Normalize({"tool", "-o", "out", "-1", "-h"});
  EXPECT_THAT(out.argv, ElementsAre("tool", "--out_dir=out", "-1"));
  EXPECT_TRUE(out.help);
  EXPECT_THAT(Normalize({"tool", "--", "--not-a-flag"}).argv,
              ElementsAre("tool", "--", "--not-a-flag"));
}

TEST(NormalizeArgsTest, EvalOptionsAreSeparateFromConfigOverrides) {
  ToolSpec spec = kSpec;
  spec.eval_options = true;
  NormalizedArgs out = Normalize({"tool", "cfg", "--options", "classwise=True", "iou_thr=0.5",
                                  "--cfg-options", "data.test.coco_dataset.ann_file=x.json",
                                  "--eval-options=jsonfile_prefix=p"},
                                 spec);
  EXPECT_THAT(out.eval_options, ElementsAre("classwise=True", "iou_thr=0.5", "jsonfile_prefix=p"));
  EXPECT_THAT(out.options, ElementsAre("data.test.coco_dataset.ann_file=x.json"));
}

TEST(NormalizeArgsTest, ListFlagsTakeSeveralWords) {
  ToolSpec spec = kSpec;
  spec.list_flags = {"types"};
  NormalizedArgs out = Normalize({"tool", "res.json", "--types", "bbox", "segm", "--gpus", "2",
                                  "tail"},
                                 spec);
  EXPECT_THAT(out.argv, ElementsAre("tool", "res.json", "--types=bbox,segm", "--gpus=2", "tail"));
  EXPECT_THAT(Normalize({"tool", "--types=bbox,proposal"}, spec).argv,
              ElementsAre("tool", "--types=bbox,proposal"));
  // Without list_flags a flag takes one word, as before.
  EXPECT_THAT(Normalize({"tool", "--types", "bbox", "segm"}).argv,
              ElementsAre("tool", "--types=bbox", "segm"));
}

TEST(NormalizeArgsTest, RejectsUnknownFlagsAndBadValues) {
  auto unknown = NormalizeArgs(kSpec, {"tool", "--wrok-dir=x"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(unknown.status().message()), "unknown flag '--wrok-dir=x'");

  auto bad = NormalizeArgs(kSpec, {"tool", "--gpus=two"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()).rfind("invalid value 'two' for flag '--gpus'", 0),
            0u);

  auto missing = NormalizeArgs(kSpec, {"tool", "--work-dir"});
  EXPECT_EQ(std::string(missing.status().message()), "flag '--work_dir' needs a value");

  auto options_not_taken = NormalizeArgs(ToolSpec{"t", false, {}}, {"tool", "--options", "a=1"});
  EXPECT_EQ(std::string(options_not_taken.status().message()), "unknown flag '--options'");

  auto bool_value = NormalizeArgs(kSpec, {"tool", "--format_only=maybe"});
  EXPECT_EQ(bool_value.status().code(), absl::StatusCode::kInvalidArgument);
}

absl::Status Fails(const std::vector<std::string>&) {
  return absl::NotFoundError("x.pbtxt: cannot open");
}
absl::Status Throws(const std::vector<std::string>&) { throw std::runtime_error("boom"); }
absl::Status Succeeds(const std::vector<std::string>&) { return absl::OkStatus(); }
absl::Status Breaks(const std::vector<std::string>&) { return absl::InternalError("bug"); }

TEST(RunToolTest, ExitCodes) {
  EXPECT_EQ(RunTool(&Succeeds, {}), 0);
  EXPECT_EQ(RunTool(&Fails, {}), 2);
  EXPECT_EQ(RunTool(&Breaks, {}), 1);
  EXPECT_EQ(RunTool(&Throws, {}), 1);
}

}  // namespace
}  // namespace mmdet::tools
