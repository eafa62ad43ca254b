// Showing an image in a window (test --show, the demos), as mmcv.imshow: the window named
// `name` shows `image` and waits `wait_ms` for a key (0: until a key is pressed).
//
// Without a display (no DISPLAY / WAYLAND_DISPLAY, or an X display that does not answer)
// every call is a FailedPrecondition naming the display and suggesting --show-dir, so tools
// exit 2 with one line instead of aborting inside the GUI toolkit. Builds without OpenCV's
// highgui (the GPU machines' --config=cuda build) say so the same way.
#ifndef MMDET_APIS_SHOW_WINDOW_H_
#define MMDET_APIS_SHOW_WINDOW_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace mmdet::apis {

// Ok when windows can be opened here; else why not (the FailedPrecondition above).
// `alternative` ends the message ("use --show-dir DIR").
absl::Status CheckDisplay(const std::string& alternative);

// Shows `image` and waits; returns the key pressed (-1 when wait_ms passed without one).
absl::StatusOr<int> ShowInWindow(const std::string& name, const cv::Mat& image, int wait_ms);

// Closes every window opened by ShowInWindow.
void CloseWindows();

}  // namespace mmdet::apis

#endif  // MMDET_APIS_SHOW_WINDOW_H_
