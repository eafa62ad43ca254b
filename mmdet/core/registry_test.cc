#include "mmdet/core/registry.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/core/registry_test.pb.h"

namespace mmdet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Part {
  virtual ~Part() = default;
  virtual std::string Describe() const = 0;
};

struct GearPart : Part {
  int teeth;
  int scale;
  std::string Describe() const override { return "gear " + std::to_string(teeth * scale); }
};

struct SprocketPart : Part {
  std::string name;
  std::string Describe() const override { return "sprocket " + name; }
};

using PartRegistry = Registry<Part, int>;

absl::StatusOr<std::shared_ptr<Part>> GearFromConfig(const test::Gear& config, int scale) {
  if (config.teeth() <= 0) return absl::InvalidArgumentError("teeth must be positive");
  auto part = std::make_shared<GearPart>();
  part->teeth = config.teeth();
  part->scale = scale;
  return part;
}

absl::StatusOr<std::shared_ptr<Part>> SprocketFromConfig(const test::Sprocket& config, int) {
  auto part = std::make_shared<SprocketPart>();
  part->name = config.name();
  return part;
}

MMDET_REGISTER(PartRegistry, test::Gear, GearFromConfig);
MMDET_REGISTER(PartRegistry, test::Sprocket, SprocketFromConfig);

test::Widget ParseWidget(const std::string& text) {
  test::Widget widget;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &widget)) << text;
  return widget;
}

TEST(RegistryTest, BuildsTheSelectedMember) {
  auto part = BuildComponent(PartRegistry::Global(), ParseWidget("gear { teeth: 5 }"),
                             "model.widget", 3);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ((*part)->Describe(), "gear 15");
}

TEST(RegistryTest, UsesProtoDefaults) {
  auto part = BuildComponent(PartRegistry::Global(), ParseWidget("gear {}"), "w", 1);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ((*part)->Describe(), "gear 12");
}

TEST(RegistryTest, BuildsOutOfTreeComponentsThroughAny) {
  auto part = BuildComponent(
      PartRegistry::Global(),
      ParseWidget(R"pb(custom {
                         [type.googleapis.com/mmdet.test.Sprocket] { name: "s1" }
                       })pb"),
      "w", 1);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ((*part)->Describe(), "sprocket s1");
}

TEST(RegistryTest, EmptyOneofNamesThePathAndTheChoices) {
  auto part = BuildComponent(PartRegistry::Global(), test::Widget(), "model.widget", 1);
  EXPECT_EQ(part.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(part.status().message(),
            "model.widget: no type set (expected one of: gear, pulley, custom)");
}

TEST(RegistryTest, UnregisteredTypeIsNotFound) {
  auto part = BuildComponent(PartRegistry::Global(), ParseWidget("pulley { radius: 1 }"),
                             "model.widget", 1);
  EXPECT_EQ(part.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(part.status().message()),
              HasSubstr("model.widget: no component registered for mmdet.test.Pulley"));
  EXPECT_THAT(std::string(part.status().message()),
              HasSubstr("registered: mmdet.test.Gear, mmdet.test.Sprocket"));
}

TEST(RegistryTest, FactoryErrorsCarryThePath) {
  auto part = BuildComponent(PartRegistry::Global(), ParseWidget("gear { teeth: -1 }"),
                             "model.widget", 1);
  EXPECT_EQ(part.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(part.status().message(), "model.widget: teeth must be positive");
}

TEST(RegistryTest, UnknownAnyTypeIsAnError) {
  test::Widget widget;
  widget.mutable_custom()->set_type_url("type.googleapis.com/my.Missing");
  auto part = BuildComponent(PartRegistry::Global(), widget, "model.widget", 1);
  EXPECT_EQ(part.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(part.status().message(),
            "model.widget.custom: unknown message type 'my.Missing' (is its library linked?)");
}

TEST(RegistryTest, MissingFactoriesListsUnbuildableMembers) {
  EXPECT_THAT(MissingFactories(test::Widget::descriptor(), PartRegistry::Global()),
              ElementsAre("mmdet.test.Pulley"));
}

}  // namespace
}  // namespace mmdet
