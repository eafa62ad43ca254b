// Converts a PASCAL VOC devkit's annotations to MMDetection's middle-format JSON, as
// MMDetection's tools/convert_datasets/pascal_voc.py does: voc07_{train,val,trainval,test},
// voc12_{...} for each year present, and voc0712_{train,val,trainval} when both are.
// A split whose ImageSets/Main/<split>.txt is missing is skipped (logged on stderr).
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/voc/voc_xml.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, out_dir, "", "Output folder (default: DEVKIT_PATH).");

namespace mmdet::tools {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

absl::Status Run(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("expected DEVKIT_PATH");
  if (args.size() > 1) return absl::InvalidArgumentError("unexpected argument '" + args[1] + "'");
  const std::string& devkit = args[0];
  std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (out_dir.empty()) out_dir = devkit;
  if (!IsDir(devkit)) return absl::NotFoundError(devkit + ": no such folder");

  // (output prefix, years) in pascal_voc.py's order.
  std::vector<std::pair<std::string, std::vector<std::string>>> sets;
  const bool has07 = IsDir(JoinPath(devkit, "VOC2007"));
  const bool has12 = IsDir(JoinPath(devkit, "VOC2012"));
  if (has07) sets.push_back({"voc07", {"2007"}});
  if (has12) sets.push_back({"voc12", {"2012"}});
  if (has07 && has12) sets.push_back({"voc0712", {"2007", "2012"}});
  if (sets.empty()) {
    return absl::NotFoundError(devkit + ": contains neither a VOC2007 nor a VOC2012 folder");
  }
  MMDET_RETURN_IF_ERROR(MakeDirs(out_dir));

  // Each year's split is parsed once, even when it also goes into voc0712.
  std::map<std::pair<std::string, std::string>, std::vector<datasets::VocAnnotation>> cache;
  for (const auto& [prefix, years] : sets) {
    std::vector<std::string> splits = {"train", "val", "trainval"};
    if (years.size() == 1) splits.push_back("test");  // merged sets have no test split
    for (const std::string& split : splits) {
      const std::string name = absl::StrCat(prefix, "_", split);
      std::vector<datasets::VocAnnotation> annotations;
      bool complete = true;
      for (const std::string& year : years) {
        const std::string list =
            JoinPath(devkit, absl::StrCat("VOC", year, "/ImageSets/Main/", split, ".txt"));
        if (!IsFile(list)) {
          LOG(INFO) << "skipping " << name << ": " << list << " does not exist";
          complete = false;
          break;
        }
        auto key = std::make_pair(year, split);
        if (cache.count(key) == 0) {
          MMDET_ASSIGN_OR_RETURN(
              cache[key], datasets::LoadVocImageSet(devkit, year, split, datasets::VocClasses()));
        }
        annotations.insert(annotations.end(), cache[key].begin(), cache[key].end());
      }
      if (!complete) continue;
      const std::string out = JoinPath(out_dir, name + ".json");
      MMDET_RETURN_IF_ERROR(datasets::WriteVocMiddleFormat(out, annotations));
      std::printf("%s: %zu images\n", out.c_str(), annotations.size());
    }
  }
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "convert_voc DEVKIT_PATH [-o|--out_dir DIR]", .short_flags = {{"o", "out_dir"}}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
