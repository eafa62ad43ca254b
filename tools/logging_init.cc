// glog start-up for tools, kept apart from tool_main.cc because glog's gflags declare
// FLAGS_log_dir / FLAGS_v, which would clash with the Abseil flags of the same names.
#include <string>

#include "glog/logging.h"

namespace mmdet::tools {

void InitLogging(const char* program, int verbose, const std::string& log_dir) {
  FLAGS_logtostderr = log_dir.empty();
  FLAGS_alsologtostderr = !log_dir.empty();
  FLAGS_log_dir = log_dir;
  FLAGS_v = verbose;
  google::InitGoogleLogging(program);
}

}  // namespace mmdet::tools
