#pragma once
// Writes checkpoints in torch.save's zip format (what torch.load, our
// Checkpoint reader and the reference's training code read), without Python
// and without LibTorch: a protocol-2 pickle of plain values (None, bool, int,
// float, str, tuple, list, dict, OrderedDict) and tensors, each tensor's data
// in its own stored (uncompressed) zip record `archive/data/<n>`, aligned to
// 64 bytes as PyTorch aligns them. The file is written atomically
// (core/formats/atomic_file.h). Limit: 4 GiB in all (no zip64).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/formats/array.h"

namespace intershape::core::formats {

// A value of the pickled object tree.
struct PyValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kTuple, kList, kDict, kOrderedDict, kTensor };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<PyValue> items;                        // tuple, list
  std::vector<std::pair<PyValue, PyValue>> entries;  // dict, OrderedDict (insertion order)
  // Tensor: C-contiguous data (shared, so a tree can be copied cheaply).
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::shared_ptr<const std::vector<uint8_t>> data;
  bool requires_grad = false;

  static PyValue none() { return {}; }
  static PyValue boolean(bool v);
  static PyValue integer(int64_t v);
  static PyValue real(double v);
  static PyValue str(std::string v);
  static PyValue tuple(std::vector<PyValue> v);
  static PyValue list(std::vector<PyValue> v);
  static PyValue dict();          // add with entries.emplace_back
  static PyValue ordered_dict();  // collections.OrderedDict
  static PyValue tensor(DType dtype, std::vector<int64_t> shape,
                        std::shared_ptr<const std::vector<uint8_t>> data);
};

// The pickle (protocol 2) of `root` as torch.save writes it: tensors become
// torch._utils._rebuild_tensor_v2 calls on persistent storages
// ('storage', torch.<Type>Storage, '<n>', 'cpu', numel), n counting from 0 in
// the order met. `storages` receives the tensors' data in that order.
std::string pickle_torch(const PyValue& root,
                         std::vector<std::shared_ptr<const std::vector<uint8_t>>>* storages);

// Writes `root` to `path` as torch.save(root, path) would (zip format,
// archive name "archive"). Throws ExportError naming the path.
void write_torch_save(const std::string& path, const PyValue& root);

}  // namespace intershape::core::formats
