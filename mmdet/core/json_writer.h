// The pieces of JSON text the tools write by hand (results files, metrics, log lines):
//
//   absl::StrAppend(&out, "{\"score\": ", ShortestDouble(0.25), ", \"file\": ",
//                   JsonQuoted(name), "}");
#ifndef MMDET_CORE_JSON_WRITER_H_
#define MMDET_CORE_JSON_WRITER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mmdet {

// The shortest text that reads back as the same double / float ("0.1", "1e-05", "3").
std::string ShortestDouble(double v);
std::string ShortestFloat(float v);

// As Python's json.dumps writes a float: the shortest round trip, integral values with ".0",
// and NaN / Infinity / -Infinity.
std::string PythonJsonFloat(double v);

// `s` as a JSON string literal, quotes included: '"' and '\' escaped, control characters as
// \n, \t, \r or \u00XX.
std::string JsonQuoted(absl::string_view s);

}  // namespace mmdet

#endif  // MMDET_CORE_JSON_WRITER_H_
