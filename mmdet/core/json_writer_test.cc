#include "mmdet/core/json_writer.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace mmdet {
namespace {

TEST(JsonWriterTest, Numbers) {
  EXPECT_EQ(ShortestDouble(0.1), "0.1");
  EXPECT_EQ(ShortestDouble(3.0), "3");
  EXPECT_EQ(ShortestDouble(1e-05), "1e-05");
  EXPECT_EQ(ShortestFloat(0.1f), "0.1");
  EXPECT_EQ(PythonJsonFloat(3.0), "3.0");
  EXPECT_EQ(PythonJsonFloat(0.12346), "0.12346");
  EXPECT_EQ(PythonJsonFloat(1e-05), "1e-05");
  EXPECT_EQ(PythonJsonFloat(std::nan("")), "NaN");
  EXPECT_EQ(PythonJsonFloat(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(JsonWriterTest, Strings) {
  EXPECT_EQ(JsonQuoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuoted("x\ny\t\x01"), "\"x\\ny\\t\\u0001\"");
}

}  // namespace
}  // namespace mmdet
