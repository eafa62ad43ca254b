// Plain pickles with numpy arrays: results.pkl files as MMDetection's test.py writes them
// (fixtures written by Python's pickle + numpy 1.24, testdata/make_results_pkl.py), and
// corrupt input.
#include <string>

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"

namespace mmdet::pth {
namespace {

constexpr char kDir[] = "mmdet/core/pth/testdata/";

TEST(PickleTest, FasterRcnnResultsProtocol2) {
  auto v = LoadPickle(std::string(kDir) + "results_bbox_p2.pkl");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_list());
  ASSERT_EQ(v->size(), 2u);
  const Value& image0 = v->items()[0];
  ASSERT_EQ(image0.size(), 3u);
  const at::Tensor& c0 = image0.items()[0].tensor();
  EXPECT_EQ(c0.scalar_type(), at::kFloat);
  EXPECT_EQ(c0.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_FLOAT_EQ(c0[0][1].item<float>(), 20.25f);
  EXPECT_FLOAT_EQ(c0[0][4].item<float>(), 0.9f);
  EXPECT_EQ(image0.items()[1].tensor().sizes(), (std::vector<int64_t>{0, 5}));
  EXPECT_FLOAT_EQ(v->items()[1].items()[1].tensor()[0][2].item<float>(), 150.5f);
}

TEST(PickleTest, MaskRcnnResultsProtocol4) {
  auto v = LoadPickle(std::string(kDir) + "results_mask_p4.pkl");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 2u);
  const Value& image0 = v->items()[0];
  ASSERT_TRUE(image0.is_tuple());
  ASSERT_EQ(image0.size(), 2u);
  const Value& segms = image0.items()[1];
  ASSERT_EQ(segms.size(), 3u);
  ASSERT_EQ(segms.items()[0].size(), 2u);
  const Value& rle = segms.items()[0].items()[0];
  ASSERT_TRUE(rle.is_dict());
  ASSERT_NE(rle.Find("counts"), nullptr);
  EXPECT_TRUE(rle.Find("counts")->is_bytes());
  EXPECT_EQ(rle.Find("counts")->as_string(), "h0");
  EXPECT_EQ(rle.Find("size")->items()[1].as_int(), 6);
}

TEST(PickleTest, ArrayDtypesAndFortranOrder) {
  auto v = LoadPickle(std::string(kDir) + "arrays_p2.pkl");
  ASSERT_TRUE(v.ok()) << v.status();
  const at::Tensor i64 = v->Find("int64")->tensor();
  EXPECT_EQ(i64.scalar_type(), at::kLong);
  EXPECT_EQ(i64[0][0].item<int64_t>(), -2);
  EXPECT_EQ(i64[1][2].item<int64_t>(), 3);
  EXPECT_EQ(v->Find("bool")->tensor().scalar_type(), at::kBool);
  EXPECT_FALSE(v->Find("bool")->tensor()[1].item<bool>());
  EXPECT_EQ(v->Find("uint8")->tensor()[1].item<int64_t>(), 255);
  EXPECT_EQ(v->Find("float64")->tensor()[1].item<double>(), -2.5e300);
  // np.asfortranarray(arange(6).reshape(2, 3)): the same values, row-major here.
  const at::Tensor f = v->Find("fortran")->tensor();
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f[0][1].item<float>(), 1.f);
  EXPECT_EQ(f[1][0].item<float>(), 3.f);
  const at::Tensor s = v->Find("scalar_array")->tensor();
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 3.5f);
}

TEST(PickleTest, NumpyPicklesRoundTrip) {
  const at::Tensor boxes = at::tensor({10.5f, 20.25f, 30.f, 40.f, 0.9f}).reshape({1, 5});
  const Value results = Value::List(
      {Value::List({Value::Tensor(boxes), Value::Tensor(at::zeros({0, 5}))}),
       Value::Tuple({Value::Tensor(at::arange(6, at::kLong).reshape({2, 3})),
                     Value::Tensor(at::tensor({1, 0}, at::kByte).to(at::kBool)),
                     Value::Tensor(at::tensor({1, 255}, at::kByte)),
                     Value::Dict({{Value::String("counts"), Value::Bytes(std::string("\x00\xffab", 4))}})})});
  auto bytes = SerializePickle(results);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->substr(0, 2), "\x80\x02");  // protocol 2, as mmcv.dump
  auto back = ParsePickle(*bytes, "round.pkl");
  ASSERT_TRUE(back.ok()) << back.status();
  const Value& first = back->items()[0];
  EXPECT_TRUE(at::equal(first.items()[0].tensor(), boxes));
  EXPECT_EQ(first.items()[1].tensor().sizes(), (std::vector<int64_t>{0, 5}));
  const Value& second = back->items()[1];
  EXPECT_TRUE(at::equal(second.items()[0].tensor(), at::arange(6, at::kLong).reshape({2, 3})));
  EXPECT_EQ(second.items()[1].tensor().scalar_type(), at::kBool);
  EXPECT_EQ(second.items()[2].tensor()[1].item<int64_t>(), 255);
  EXPECT_EQ(second.items()[3].Find("counts")->as_string(), std::string("\x00\xffab", 4));
}

TEST(PickleTest, CorruptPicklesAreDataLossNotCrashes) {
  auto bytes = ReadFile(std::string(kDir) + "results_mask_p4.pkl");
  ASSERT_TRUE(bytes.ok());
  // Every truncation, and every single-byte change at a stride, fails cleanly or parses.
  for (size_t n = 0; n < bytes->size(); ++n) {
    auto v = ParsePickle(bytes->substr(0, n), "cut.pkl");
    EXPECT_FALSE(v.ok()) << n;
    if (!v.ok()) EXPECT_THAT(std::string(v.status().message()), ::testing::HasSubstr("cut.pkl"));
  }
  for (size_t i = 0; i < bytes->size(); i += 3) {
    for (unsigned char b : {0x00, 0x4b, 0x7f, 0xff}) {
      std::string mutated = *bytes;
      mutated[i] = static_cast<char>(b);
      auto v = ParsePickle(mutated, "mutated.pkl");
      if (!v.ok()) EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss) << i;
    }
  }
}

}  // namespace
}  // namespace mmdet::pth
