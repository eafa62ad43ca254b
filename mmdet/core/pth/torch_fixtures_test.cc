// Files written by Python's torch.save (PyTorch 2.11, on a CUDA machine) in the zip and the
// pre-1.6 legacy formats; the object is tests/interop/check_interop.py's fixture().
#include <string>

#include "gtest/gtest.h"
#include "mmdet/core/pth/pth.h"
#include "torch/types.h"

namespace mmdet::pth {
namespace {

class TorchFixturesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchFixturesTest, ReadsWhatTorchSaveWrote) {
  auto loaded = LoadPth("mmdet/core/pth/testdata/torch211_mmdet_fixture_" + GetParam());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Value& v = *loaded;
  ASSERT_TRUE(v.is_dict());

  const Value* meta = v.Find("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->Find("epoch")->as_int(), 12);
  EXPECT_EQ(meta->Find("mmdet_version")->as_string(), "2.0.0");
  ASSERT_TRUE(meta->Find("CLASSES")->is_tuple());
  EXPECT_EQ(meta->Find("CLASSES")->items()[1].as_string(), "dog");
  EXPECT_DOUBLE_EQ(meta->Find("lr")->as_float(), 0.02);
  EXPECT_TRUE(meta->Find("flag")->is_bool());
  EXPECT_TRUE(meta->Find("none")->is_none());

  const Value* sd = v.Find("state_dict");
  ASSERT_NE(sd, nullptr);
  EXPECT_TRUE(sd->is_ordered_dict());
  ASSERT_EQ(sd->size(), 3u);
  EXPECT_EQ(sd->entries()[0].key.as_string(), "conv.weight");
  EXPECT_TRUE(torch::equal(sd->Find("conv.weight")->tensor(),
                           torch::arange(24, torch::kFloat32).reshape({2, 3, 2, 2})));
  EXPECT_TRUE(torch::equal(sd->Find("conv.bias")->tensor(), torch::tensor({0.5f, -1.5f})));
  const at::Tensor tracked = sd->Find("bn.num_batches_tracked")->tensor();
  EXPECT_EQ(tracked.dim(), 0);
  EXPECT_EQ(tracked.item<int64_t>(), 7);
  ASSERT_NE(sd->dict_state(), nullptr);  // the state_dict's _metadata survives
  EXPECT_NE(sd->dict_state()->Find("_metadata"), nullptr);

  const Value* optimizer = v.Find("optimizer");
  ASSERT_NE(optimizer, nullptr);
  const Value* state0 = optimizer->Find("state")->Find(int64_t{0});
  ASSERT_NE(state0, nullptr);
  EXPECT_TRUE(torch::equal(state0->Find("momentum_buffer")->tensor(), torch::full({2}, 0.25f)));
  const Value& group = optimizer->Find("param_groups")->items()[0];
  EXPECT_DOUBLE_EQ(group.Find("momentum")->as_float(), 0.9);
  EXPECT_EQ(group.Find("params")->items()[1].as_int(), 1);

  const Value* views = v.Find("views");
  const at::Tensor base = views->Find("base")->tensor();
  EXPECT_TRUE(torch::equal(base, torch::arange(12, torch::kFloat32).reshape({3, 4})));
  EXPECT_TRUE(torch::equal(views->Find("row")->tensor(), base[1]));
  EXPECT_TRUE(torch::equal(views->Find("col")->tensor(), base.select(1, 2)));
  EXPECT_TRUE(torch::equal(views->Find("transposed")->tensor(), base.t()));
  // Views share the storage, as in Python.
  EXPECT_EQ(views->Find("row")->tensor().data_ptr<float>(), base.data_ptr<float>() + 4);

  const Value* dtypes = v.Find("dtypes");
  EXPECT_EQ(dtypes->Find("f16")->tensor().scalar_type(), torch::kHalf);
  EXPECT_TRUE(torch::equal(dtypes->Find("f16")->tensor().to(torch::kFloat), torch::tensor({1.5f, -2.0f})));
  EXPECT_EQ(dtypes->Find("bf16")->tensor().scalar_type(), torch::kBFloat16);
  EXPECT_EQ(dtypes->Find("f64")->tensor().item<double>(), 1.25);
  EXPECT_TRUE(torch::equal(dtypes->Find("i32")->tensor(), torch::tensor({-3, 4}, torch::kInt32)));
  EXPECT_TRUE(torch::equal(dtypes->Find("u8")->tensor(), torch::tensor({255, 0}, torch::kUInt8)));
  EXPECT_TRUE(torch::equal(dtypes->Find("i8")->tensor(), torch::tensor({-128, 5}, torch::kInt8)));
  EXPECT_EQ(dtypes->Find("i16")->tensor().item<int16_t>(), 300);
  EXPECT_TRUE(torch::equal(dtypes->Find("b")->tensor(), torch::tensor({true, false})));
  EXPECT_EQ(dtypes->Find("empty")->tensor().sizes(), (std::vector<int64_t>{0, 4}));

  EXPECT_TRUE(torch::equal(v.Find("param")->tensor(), torch::tensor({2.0f, 3.0f})));
  // Saved from a CUDA tensor: loaded on the CPU.
  const Value* cuda = v.Find("cuda");
  ASSERT_NE(cuda, nullptr);
  EXPECT_TRUE(cuda->tensor().device().is_cpu());
  EXPECT_TRUE(torch::equal(cuda->tensor(), torch::tensor({4.0f, 5.0f})));
}

INSTANTIATE_TEST_SUITE_P(Formats, TorchFixturesTest, ::testing::Values("zip.pth", "legacy.pth"));

// meta with numpy 2.5 scalars (numpy._core.multiarray.scalar), as torch.save wrote it.
TEST(NumpyFixturesTest, NumpyScalarsInMeta) {
  for (const char* format : {"zip", "legacy"}) {
    auto loaded = LoadPth(std::string("mmdet/core/pth/testdata/torch211_numpy2_meta_") + format + ".pth");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const Value* meta = loaded->Find("meta");
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->Find("seed")->as_int(), 42) << format;
    EXPECT_EQ(meta->Find("neg")->as_int(), -7) << format;
    EXPECT_DOUBLE_EQ(meta->Find("lr")->as_float(), 0.5) << format;
    EXPECT_DOUBLE_EQ(meta->Find("d")->as_float(), 0.125) << format;
    EXPECT_TRUE(meta->Find("flag")->is_bool() && meta->Find("flag")->as_bool()) << format;
    EXPECT_EQ(meta->Find("epoch")->as_int(), 3) << format;
    EXPECT_TRUE(torch::equal(loaded->Find("state_dict")->Find("w")->tensor(),
                             torch::arange(3, torch::kFloat32)));
  }
}

}  // namespace
}  // namespace mmdet::pth
