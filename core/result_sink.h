#pragma once
// Where finished results go: the exporters (per-frame files and sequence
// files) and the session recorder implement this one interface, so `infer`,
// the GUI's recording and later commands feed the same sinks the same way.
//
// Threads: one thread feeds a sink (add, then finish). Each result carries its
// frame; a sink never pairs results with frames itself.

#include <string>
#include <vector>

#include "core/types.h"

namespace intershape::core {

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Takes one result (in frame order). Returns the files written for it now
  // (possibly none). Throws formats::ExportError when it cannot write.
  virtual std::vector<std::string> add(const FrameResultPtr& result) = 0;
  // Completes what is written per sequence; returns those files. After a
  // failure in add(), finish() still leaves what was written readable.
  virtual std::vector<std::string> finish() = 0;
};

}  // namespace intershape::core
