#include "mmdet/apis/show_window.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#ifdef MMDET_WITH_HIGHGUI
#include "opencv2/highgui.hpp"
#endif

namespace mmdet::apis {

namespace {

// Whether something listens where X11's DISPLAY points (":N" or "unix:N" is the socket
// /tmp/.X11-unix/XN; "host:N" is TCP port 6000 + N on localhost only, other hosts are
// assumed reachable). Qt aborts the process when it cannot connect, so look first.
bool XDisplayAnswers(const std::string& display) {
  const size_t colon = display.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string host = display.substr(0, colon);
  const std::string rest = display.substr(colon + 1);  // "N" or "N.screen"
  const std::string number = rest.substr(0, rest.find('.'));
  int n = 0;
  if (!absl::SimpleAtoi(number, &n) || n < 0) return false;
  if (host.empty() || host == "unix") {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = absl::StrCat("/tmp/.X11-unix/X", n);
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
  }
  if (host == "localhost" || host == "127.0.0.1") {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(6000 + n));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
  }
  return true;
}

}  // namespace

absl::Status CheckDisplay(const std::string& alternative) {
#ifndef MMDET_WITH_HIGHGUI
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot open windows: this build has no OpenCV highgui (--config=cuda); ", alternative));
#else
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (wayland != nullptr && *wayland != '\0') return absl::OkStatus();
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0') {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open windows: no display (DISPLAY is not set); ", alternative));
  }
  if (!XDisplayAnswers(display)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open windows: the display DISPLAY=", display, " does not answer; ", alternative));
  }
  return absl::OkStatus();
#endif
}

absl::StatusOr<int> ShowInWindow(const std::string& name, const cv::Mat& image, int wait_ms) {
#ifndef MMDET_WITH_HIGHGUI
  (void)name;
  (void)image;
  (void)wait_ms;
  return CheckDisplay("write the pictures to files instead");
#else
  static const absl::Status display = CheckDisplay("write the pictures to files instead");
  if (!display.ok()) return display;
  cv::imshow(name, image);
  return cv::waitKey(wait_ms);
#endif
}

void CloseWindows() {
#ifdef MMDET_WITH_HIGHGUI
  if (CheckDisplay("").ok()) cv::destroyAllWindows();
#endif
}

}  // namespace mmdet::apis
