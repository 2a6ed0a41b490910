// libFuzzer target: bytes -> the pickle reader (MANO allow-list) and every
// structure built on it (numpy/chumpy/scipy arrays, the MANO model, a
// checkpoint's state dict). Anything but the readers' own error types is a
// bug: an escaping exception aborts, and ASan/UBSan catch the rest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/formats/checkpoint.h"
#include "mano/mano_model.h"
#include "core/formats/numpy_pickle.h"
#include "core/formats/pickle.h"

using namespace intershape::core::formats;
using namespace intershape::mano;

namespace {

// Walks the value graph as a consumer would, each node once: values may be
// shared through the memo (a 1 KB "billion laughs" pickle references one list
// 2^30 times), so walking every path was exponential and timed out the fuzzer
// although the reader itself rejects or reads such files in linear time.
size_t walk(const pickle::Value* v, int depth, std::unordered_set<const pickle::Value*>& seen) {
  if (v == nullptr || depth > 32 || !seen.insert(v).second) return 0;
  size_t n = 1 + pickle::describe(v).size() % 2;
  for (const pickle::Value* c : v->items) n += walk(c, depth + 1, seen);
  for (const auto& [k, x] : v->pairs) n += walk(k, depth + 1, seen) + walk(x, depth + 1, seen);
  n += walk(v->args, depth + 1, seen) + walk(v->kwargs, depth + 1, seen) +
       walk(v->state, depth + 1, seen);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pickle::Options options;
  options.source = "fuzz.pkl";
  options.allowed_globals = mano_pickle_globals();
  options.max_depth = 64;
  try {
    pickle::Document doc = pickle::parse(data, size, options);
    std::unordered_set<const pickle::Value*> seen;
    volatile size_t n = walk(doc.root(), 0, seen);
    (void)n;
    try {
      array_from_pickle(doc.root(), "fuzz.pkl", "root");
    } catch (const ArrayError&) {
    }
    const auto& pairs = doc.root()->pairs;
    for (size_t i = 0; i < pairs.size() && i < 64; ++i) {
      try {
        array_from_pickle(pairs[i].second, "fuzz.pkl", "value");
      } catch (const ArrayError&) {
      }
    }
  } catch (const pickle::PickleError&) {
  }
  try {
    load_mano_pkl_bytes(data, size, "fuzz.pkl", false);
  } catch (const ManoError&) {
  }
  try {
    state_dict_from_pickle(data, size, "fuzz.pt", "archive/");
  } catch (const CheckpointError&) {
  }
  return 0;
}
