#pragma once
// Reads a PyTorch checkpoint written by torch.save (zip format) without Python
// and without running anything from it: the pickle in `<archive>/data.pkl` is
// read by our own reader (core/formats/pickle.h), which only knows the few classes a
// state dict uses; tensor data stays in the zip until asked for, so a 1.3 GB
// file with optimizer state costs only what the caller reads. No LibTorch.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/formats/array.h"

namespace intershape::core::formats {

// A file that is not a readable checkpoint; what() names the file and the problem.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One tensor of the state dict: its metadata, not its data.
struct TensorInfo {
  std::string key;  // `module.` prefix stripped
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // in elements
  int64_t storage_offset = 0;   // in elements
  std::string storage_record;   // zip entry holding the storage
  int64_t storage_numel = 0;
  int64_t numel() const;
};

// A plain value found outside the state dict (Checkpoint::extra_values()).
struct ExtraValue {
  enum class Type { kNone, kBool, kInt, kFloat, kStr };
  Type type = Type::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
};

class Checkpoint {
 public:
  // Opens the zip (or, for files from PyTorch < 1.6, the legacy format) and
  // reads its pickle. The state dict is the top-level dict's
  // `network` entry (the reference trainer's snapshot), else its `state_dict`
  // entry, else the top-level dict itself when its values are tensors. The
  // other top-level entries (`epoch`, `optimizer`, ...) are exposed as
  // extras, flattened to paths (below); their tensor data is read only when
  // asked for, like the state dict's.
  static std::unique_ptr<Checkpoint> open(const std::string& path);
  virtual ~Checkpoint() = default;

  const std::string& path() const { return path_; }
  // State-dict entries in file order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& key) const;

  // Entries of the top-level dict other than the state dict, flattened: a
  // path joins the top-level key, nested dict keys (str, or int written in
  // decimal) and list / tuple indices with '/', e.g. "epoch",
  // "optimizer/state/3/exp_avg", "optimizer/param_groups/0/lr". Tensors are
  // in extra_tensors() (TensorInfo::key = path; read() takes them), None /
  // bool / int / float / str values in extra_values(). Anything else (bytes,
  // sets, objects, keys of other types, nesting deeper than 8, paths longer
  // than 512 bytes) is left out. Tensor views are checked against their
  // storages exactly as the state dict's are.
  const std::vector<TensorInfo>& extra_tensors() const { return extra_tensors_; }
  const std::vector<std::pair<std::string, ExtraValue>>& extra_values() const {
    return extra_values_;
  }
  const TensorInfo* find_extra_tensor(const std::string& path) const;
  const ExtraValue* find_extra_value(const std::string& path) const;

  // Copies the tensor, contiguous (C order), into dst (dst_bytes must equal
  // numel * dtype_size). Checks the storage record's size against the
  // metadata. Throws CheckpointError naming the file and the key.
  virtual void read_into(const TensorInfo& info, void* dst, size_t dst_bytes) const = 0;
  Array read(const TensorInfo& info) const;

 protected:
  std::string path_;
  std::vector<TensorInfo> tensors_;
  std::vector<TensorInfo> extra_tensors_;
  std::vector<std::pair<std::string, ExtraValue>> extra_values_;
};

// Reads state-dict entries by key (`module.` prefix stripped), nullopt when
// absent: the ArrayLookup that mano_from_state_dict takes, e.g.
//   auto ck = Checkpoint::open(path);
//   ManoModel right = mano_from_state_dict(state_dict_lookup(*ck), "mesh_reg.mano_layer.r.", false,
//   path);
// The checkpoint must outlive the returned function.
std::function<std::optional<Array>(const std::string& key)> state_dict_lookup(
    const Checkpoint& checkpoint);

// The state dict of a checkpoint's `data.pkl` (the bytes of that record;
// `source` names the file in messages), as Checkpoint::open finds it, with
// storage records named `<archive_prefix>data/<key>`. Checks every tensor's
// view against its storage's size. Throws CheckpointError.
std::vector<TensorInfo> state_dict_from_pickle(const uint8_t* data, size_t size,
                                               const std::string& source,
                                               const std::string& archive_prefix);

// The classes and functions a checkpoint's pickle may name (all others,
// e.g. torch.storage._load_from_bytes, are rejected): collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter, the torch.*Storage
// classes, torch.device.
const std::vector<std::string>& checkpoint_pickle_globals();

}  // namespace intershape::core::formats
