#include "mmdet/runner/dist/dist_env.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmdet::runner {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

TEST(DistEnvTest, NoneIsOneProcess) {
  auto e = ReadDistEnv("none", 29500, -1, Env({{"RANK", "3"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->distributed);
  EXPECT_EQ(e->rank, 0);
  EXPECT_EQ(e->world_size, 1);
}

TEST(DistEnvTest, PytorchLauncherVariables) {
  auto e = ReadDistEnv("pytorch", 29500, -1,
                       Env({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"},
                            {"MASTER_ADDR", "10.0.0.2"}, {"MASTER_PORT", "29611"}}));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->distributed);
  EXPECT_EQ(e->rank, 3);
  EXPECT_EQ(e->world_size, 8);
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->master_addr, "10.0.0.2");
  EXPECT_EQ(e->master_port, 29611);
}

TEST(DistEnvTest, PytorchDefaultsPortFromConfigAndLocalRankFromFlag) {
  auto e = ReadDistEnv("pytorch", 29777, 2, Env({{"RANK", "0"}, {"WORLD_SIZE", "2"}}));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->master_port, 29777);
  EXPECT_EQ(e->master_addr, "127.0.0.1");
  EXPECT_EQ(e->local_rank, 2);
}

TEST(DistEnvTest, PytorchErrorsNameTheVariable) {
  auto missing = ReadDistEnv("pytorch", 29500, -1, Env({{"WORLD_SIZE", "2"}}));
  EXPECT_THAT(missing.status().message(), HasSubstr("RANK is not set"));
  auto bad = ReadDistEnv("pytorch", 29500, -1, Env({{"RANK", "x"}, {"WORLD_SIZE", "2"}}));
  EXPECT_THAT(bad.status().message(), HasSubstr("RANK=x"));
  auto high = ReadDistEnv("pytorch", 29500, -1, Env({{"RANK", "2"}, {"WORLD_SIZE", "2"}}));
  EXPECT_THAT(high.status().message(), HasSubstr("rank 2 is not below the world size 2"));
  auto launcher = ReadDistEnv("mpi", 29500, -1, Env({}));
  EXPECT_THAT(launcher.status().message(), HasSubstr("expected none, pytorch or slurm"));
}

TEST(DistEnvTest, SlurmVariablesAndFirstHost) {
  auto e = ReadDistEnv("slurm", 29500, -1,
                       Env({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "5"},
                            {"SLURM_NODELIST", "gpu[07-08],cpu1"}}));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->rank, 5);
  EXPECT_EQ(e->world_size, 16);
  EXPECT_EQ(e->local_rank, 5);
  EXPECT_EQ(e->master_addr, "gpu07");
  EXPECT_EQ(e->master_port, 29500);
  auto missing = ReadDistEnv("slurm", 29500, -1, Env({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}));
  EXPECT_THAT(missing.status().message(), HasSubstr("SLURM_NODELIST is not set"));
}

TEST(DistEnvTest, FirstSlurmHostForms) {
  EXPECT_EQ(*FirstSlurmHost("node1"), "node1");
  EXPECT_EQ(*FirstSlurmHost("node1,node2"), "node1");
  EXPECT_EQ(*FirstSlurmHost("node[003-005,9]"), "node003");
  EXPECT_EQ(*FirstSlurmHost("node[3,5]-ib"), "node3-ib");
  EXPECT_EQ(*FirstSlurmHost("rack[1-2]n[01-04],x"), "rack1n01");
  EXPECT_FALSE(FirstSlurmHost("node[1-2").ok());
}

}  // namespace
}  // namespace mmdet::runner
