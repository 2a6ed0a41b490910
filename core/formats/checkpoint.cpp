#include "core/formats/checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/formats/file_io.h"
#include "core/formats/pickle.h"

namespace intershape::core::formats {

namespace {

using pickle::Kind;
using pickle::Value;

// data.pkl holds metadata only (~100 KB for the two-hand network); a larger
// one is not a checkpoint we can use, and reading it would cost its size.
constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;
constexpr int64_t kMaxViewRepeat = 1024;
// Deflate cannot expand more than ~1032:1; a record claiming more is corrupt,
// and refusing it keeps every allocation within a multiple of the file size.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", DType::kFloat32}, {"torch.DoubleStorage", DType::kFloat64},
    {"torch.HalfStorage", DType::kFloat16},  {"torch.BFloat16Storage", DType::kBFloat16},
    {"torch.LongStorage", DType::kInt64},    {"torch.IntStorage", DType::kInt32},
    {"torch.ShortStorage", DType::kInt16},   {"torch.CharStorage", DType::kInt8},
    {"torch.ByteStorage", DType::kUInt8},    {"torch.BoolStorage", DType::kBool},
};

DType storage_dtype(const std::string& storage_class, bool& known) {
  for (const StorageType& t : kStorageTypes) {
    if (storage_class == t.name) {
      known = true;
      return t.dtype;
    }
  }
  known = false;
  return DType::kUInt8;
}

constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

bool is_tensor(const Value* v) {
  return v->is_object(kRebuildTensor) || v->is_object(kRebuildParameter) ||
         v->is_object(kRebuildParameterWithState);
}

// The state dict: a dict or an OrderedDict (REDUCE + SETITEMS) of tensors.
bool is_dict_like(const Value* v) {
  return v->is(Kind::kDict) || v->is_object("collections.OrderedDict");
}

bool all_tensors(const Value* d) {
  if (d->pairs.empty()) return false;
  for (const auto& [k, v] : d->pairs) {
    if (!k->is(Kind::kStr) || !is_tensor(v)) return false;
  }
  return true;
}

struct Parser {
  const std::string& source;
  const std::string& prefix;

  [[noreturn]] void fail(const std::string& message) const {
    throw CheckpointError(source + ": " + message);
  }

  int64_t nonneg_int(const Value* v, const std::string& key, const char* what) const {
    if (!v->is(Kind::kInt) || v->integer < 0)
      fail("'" + key + "': " + what + " is " + pickle::describe(v));
    return v->integer;
  }

  TensorInfo tensor(const std::string& key, const Value* v,
                    std::unordered_map<std::string, int64_t>& storages) const {
    // _rebuild_parameter(data, requires_grad, backward_hooks): data is the tensor.
    for (int unwrap = 0; unwrap < 2 && (v->is_object(kRebuildParameter) ||
                                        v->is_object(kRebuildParameterWithState));
         ++unwrap) {
      if (v->args->items.empty()) fail("'" + key + "': parameter without its tensor");
      v = v->args->items[0];
    }
    if (!v->is_object(kRebuildTensor))
      fail("'" + key + "' is " + pickle::describe(v) + ", not a tensor");
    const auto& a = v->args->items;
    if (a.size() < 4)
      fail("'" + key + "': _rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments");
    const Value* storage = a[0];
    if (!storage->is(Kind::kPersistent))
      fail("'" + key + "': tensor storage is " + pickle::describe(storage));
    const Value* pid = storage->args;
    TensorInfo info;
    info.key = key;
    // pid = ('storage', storage_type, key, location, numel), checked by persistent_load.
    bool known = false;
    info.dtype = storage_dtype(pid->items[1]->text, known);
    if (!known) fail("'" + key + "': unsupported storage type " + pid->items[1]->text);
    const std::string& record = pid->items[2]->text;
    info.storage_record = prefix + record;
    info.storage_numel = pid->items[4]->integer;
    auto [it, inserted] = storages.emplace(record, info.storage_numel);
    if (!inserted && it->second != info.storage_numel) {
      fail("storage " + record + " is used with sizes " + std::to_string(it->second) + " and " +
           std::to_string(info.storage_numel));
    }
    info.storage_offset = nonneg_int(a[1], key, "storage offset");
    if (!a[2]->is_sequence() || !a[3]->is_sequence())
      fail("'" + key + "': size and stride are not tuples");
    if (a[2]->items.size() != a[3]->items.size())
      fail("'" + key + "': size and stride differ in length");
    if (a[2]->items.size() > 64) fail("'" + key + "': too many dimensions");
    // Highest element index the view touches, with overflow checks: it must lie in the storage.
    const int64_t limit = info.storage_numel;
    int64_t last = info.storage_offset;
    bool empty = false;
    for (size_t d = 0; d < a[2]->items.size(); ++d) {
      const int64_t size = nonneg_int(a[2]->items[d], key, "size");
      const int64_t stride = nonneg_int(a[3]->items[d], key, "stride");
      info.shape.push_back(size);
      info.stride.push_back(stride);
      if (size == 0) empty = true;
    }
    if (!empty) {
      for (size_t d = 0; d < info.shape.size(); ++d) {
        const int64_t extent = info.shape[d] - 1;
        if (extent > 0 && info.stride[d] > 0) {
          if (info.stride[d] > limit / extent) fail("'" + key + "': view exceeds its storage");
          const int64_t add = extent * info.stride[d];
          if (last > limit - add) fail("'" + key + "': view exceeds its storage");
          last += add;
        }
      }
      if (last >= limit) {
        fail("'" + key + "': view " + std::to_string(info.storage_offset) +
             " + shape/stride reaches element " + std::to_string(last) + " of a storage of " +
             std::to_string(limit));
      }
      // Zero or overlapping strides let a view repeat its storage: bound the
      // copy a read makes by the storage it comes from.
      // Saturating: a storage may claim up to 2^56 elements (persistent_load's
      // bound), and 2^56 * kMaxViewRepeat does not fit in int64_t.
      const int64_t base = std::max<int64_t>(limit, 1);
      const int64_t max_numel = base > std::numeric_limits<int64_t>::max() / kMaxViewRepeat
                                    ? std::numeric_limits<int64_t>::max()
                                    : base * kMaxViewRepeat;
      int64_t n = 1;
      for (int64_t s : info.shape) {
        if (s > max_numel / n)
          fail("'" + key + "': view repeats its storage more than " +
               std::to_string(kMaxViewRepeat) + " times");
        n *= s;
      }
    } else if (info.storage_offset > limit) {
      fail("'" + key + "': storage offset beyond its storage");
    }
    return info;
  }
};

}  // namespace

const std::vector<std::string>& checkpoint_pickle_globals() {
  static const std::vector<std::string> kGlobals = [] {
    std::vector<std::string> g = {"collections.OrderedDict", kRebuildTensor, kRebuildParameter,
                                  kRebuildParameterWithState, "torch.device"};
    for (const StorageType& t : kStorageTypes) g.push_back(t.name);
    return g;
  }();
  return kGlobals;
}

namespace {

struct ParsedPickle {
  std::vector<TensorInfo> tensors;
  std::vector<TensorInfo> extra_tensors;
  std::vector<std::pair<std::string, ExtraValue>> extra_values;
  // Every storage the pickle names (state dict and optimizer): key -> dtype.
  std::unordered_map<std::string, DType> storage_types;
  size_t end_offset = 0;
};

// Flattens the top-level entries beside the state dict (Checkpoint's
// extras). The value graph may share nodes or hold cycles: depth, path length
// and the number of nodes visited are bounded, so the work and the memory
// stay small whatever the pickle claims.
struct ExtrasWalker {
  static constexpr int kMaxDepth = 8;
  static constexpr size_t kMaxPath = 512;
  static constexpr size_t kMaxNodes = 100000;
  static constexpr size_t kMaxText = 4096;

  const Parser& parser;
  std::unordered_map<std::string, int64_t>& storages;
  ParsedPickle& out;
  size_t visited = 0;
  std::unordered_set<std::string> paths{};

  void add_path(const std::string& path) {
    if (!paths.insert(path).second) parser.fail("two entries are named '" + path + "'");
  }
  void value(const std::string& path, ExtraValue v) {
    add_path(path);
    out.extra_values.emplace_back(path, std::move(v));
  }

  void walk(const Value* v, const std::string& path, int depth) {
    if (path.size() > kMaxPath) return;
    if (++visited > kMaxNodes)
      parser.fail("more than " + std::to_string(kMaxNodes) + " entries beside the state dict");
    ExtraValue e;
    switch (v->kind) {
      case Kind::kNone:
        return value(path, e);
      case Kind::kBool:
        e.type = ExtraValue::Type::kBool;
        e.boolean = v->boolean;
        return value(path, e);
      case Kind::kInt:
        e.type = ExtraValue::Type::kInt;
        e.integer = v->integer;
        return value(path, e);
      case Kind::kFloat:
        e.type = ExtraValue::Type::kFloat;
        e.real = v->real;
        return value(path, e);
      case Kind::kStr:
        if (v->text.size() > kMaxText) return;
        e.type = ExtraValue::Type::kStr;
        e.text = v->text;
        return value(path, e);
      default:
        break;
    }
    if (is_tensor(v)) {
      add_path(path);
      out.extra_tensors.push_back(parser.tensor(path, v, storages));
      return;
    }
    if (depth >= kMaxDepth) return;
    if (v->is_sequence()) {
      for (size_t i = 0; i < v->items.size(); ++i)
        walk(v->items[i], path + "/" + std::to_string(i), depth + 1);
    } else if (is_dict_like(v)) {
      for (const auto& [k, item] : v->pairs) {
        if (k->is(Kind::kInt))
          walk(item, path + "/" + std::to_string(k->integer), depth + 1);
        else if (k->is(Kind::kStr) && k->text.find('/') == std::string::npos)
          walk(item, path + "/" + k->text, depth + 1);
      }
    }
  }
};

// The zip format's persistent ids are ('storage', type, key, location, numel);
// the legacy format's add a sixth entry, the view metadata (None for tensors
// saved by PyTorch >= 0.4).
ParsedPickle parse_checkpoint_pickle(const uint8_t* data, size_t size, const std::string& source,
                                     const std::string& record_prefix, bool legacy,
                                     size_t base_offset = 0) {
  ParsedPickle result;
  pickle::Options options;
  options.source = source;
  options.base_offset = base_offset;
  options.allowed_globals = checkpoint_pickle_globals();
  options.persistent_load = [&result, legacy](pickle::Document& doc, Value* pid) {
    const size_t arity = legacy ? 6 : 5;
    if (!pid->is(Kind::kTuple) || pid->items.size() != arity) {
      throw std::runtime_error("expected a " + std::to_string(arity) + "-tuple, got " +
                               pickle::describe(pid));
    }
    const auto& p = pid->items;
    if (!p[0]->is_text() || p[0]->text != "storage") throw std::runtime_error("not a storage");
    if (!p[1]->is(Kind::kGlobal))
      throw std::runtime_error("storage type is " + pickle::describe(p[1]));
    if (!p[2]->is_text() || p[2]->text.empty() || p[2]->text.size() > 64 ||
        p[2]->text.find_first_of("/\\") != std::string::npos || p[2]->text == "." ||
        p[2]->text == "..") {
      throw std::runtime_error("bad storage key " + pickle::describe(p[2]));
    }
    if (!p[4]->is(Kind::kInt) || p[4]->integer < 0 || p[4]->integer > (int64_t{1} << 56)) {
      throw std::runtime_error("bad storage size " + pickle::describe(p[4]));
    }
    if (legacy && !p[5]->is(Kind::kNone))
      throw std::runtime_error("storage views of PyTorch < 0.4 are not supported");
    bool known = false;
    const DType dtype = storage_dtype(p[1]->text, known);
    if (!known) throw std::runtime_error("unsupported storage type " + p[1]->text);
    auto [it, inserted] = result.storage_types.emplace(p[2]->text, dtype);
    if (!inserted && it->second != dtype)
      throw std::runtime_error("storage " + p[2]->text + " has two types");
    Value* v = doc.make(Kind::kPersistent);
    v->args = pid;
    return v;
  };
  pickle::Document doc;
  try {
    doc = pickle::parse(data, size, options);
  } catch (const pickle::PickleError& e) {
    throw CheckpointError(e.what());
  }
  result.end_offset = doc.end_offset();
  Parser parser{source, record_prefix};
  const Value* root = doc.root();
  if (!is_dict_like(root)) parser.fail("holds " + pickle::describe(root) + ", not a state dict");
  const Value* sd = nullptr;
  if (const Value* net = root->get("network")) {
    sd = net;
  } else if (const Value* s = root->get("state_dict")) {
    sd = s;
  } else if (all_tensors(root)) {
    sd = root;
  }
  if (sd == nullptr) {
    parser.fail(
        "holds no state dict (no 'network' or 'state_dict' entry, and its entries are not all "
        "tensors)");
  }
  if (!is_dict_like(sd)) parser.fail("the state dict is " + pickle::describe(sd) + ", not a dict");
  std::unordered_map<std::string, int64_t> storages;
  std::unordered_set<std::string> keys;
  for (const auto& [k, v] : sd->pairs) {
    if (!k->is(Kind::kStr))
      parser.fail("state dict key is " + pickle::describe(k) + ", not a string");
    std::string key = k->text;
    if (key.rfind("module.", 0) == 0) key.erase(0, 7);
    if (!keys.insert(key).second) parser.fail("state dict key '" + key + "' appears twice");
    result.tensors.push_back(parser.tensor(key, v, storages));
  }
  if (sd != root) {
    ExtrasWalker walker{parser, storages, result};
    for (const auto& [k, v] : root->pairs) {
      if (v == sd || !k->is(Kind::kStr)) continue;
      walker.walk(v, k->text, 0);
    }
  }
  return result;
}

// Copies a view (offset, shape, stride in elements) of a storage into C order;
// the view was checked against the storage's size when the pickle was read.
void copy_view(const TensorInfo& info, const uint8_t* storage, uint8_t* out) {
  const size_t item = dtype_size(info.dtype);
  const int64_t numel = info.numel();
  if (numel == 0) return;
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t d = info.shape.size(); d-- > 0;) {
    if (info.shape[d] != 1 && info.stride[d] != expect) contiguous = false;
    expect *= info.shape[d];
  }
  if (contiguous) {
    std::memcpy(out, storage + static_cast<size_t>(info.storage_offset) * item,
                static_cast<size_t>(numel) * item);
    return;
  }
  const size_t dims = info.shape.size();
  std::vector<int64_t> idx(dims, 0);
  int64_t src = info.storage_offset;
  for (int64_t n = 0; n < numel; ++n) {
    std::memcpy(out + static_cast<size_t>(n) * item, storage + static_cast<size_t>(src) * item,
                item);
    for (size_t d = dims; d-- > 0;) {
      if (++idx[d] < info.shape[d]) {
        src += info.stride[d];
        break;
      }
      src -= info.stride[d] * (info.shape[d] - 1);
      idx[d] = 0;
    }
  }
}

bool is_contiguous_whole(const TensorInfo& info) {
  int64_t expect = 1;
  for (size_t d = info.shape.size(); d-- > 0;) {
    if (info.shape[d] != 1 && info.stride[d] != expect) return false;
    expect *= info.shape[d];
  }
  return info.storage_offset == 0 && info.numel() == info.storage_numel;
}

void check_destination(const std::string& path, const TensorInfo& info, size_t dst_bytes) {
  const int64_t numel = info.numel();
  if (dst_bytes != static_cast<size_t>(numel) * dtype_size(info.dtype)) {
    throw CheckpointError(path + ": '" + info.key + "': destination has " +
                          std::to_string(dst_bytes) + " bytes for " + std::to_string(numel) +
                          " elements of " + dtype_name(info.dtype));
  }
}

}  // namespace

std::vector<TensorInfo> state_dict_from_pickle(const uint8_t* data, size_t size,
                                               const std::string& source,
                                               const std::string& archive_prefix) {
  return parse_checkpoint_pickle(data, size, source, archive_prefix + "data/", false).tensors;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const TensorInfo* Checkpoint::find(const std::string& key) const {
  for (const TensorInfo& t : tensors_) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

const TensorInfo* Checkpoint::find_extra_tensor(const std::string& path) const {
  for (const TensorInfo& t : extra_tensors_) {
    if (t.key == path) return &t;
  }
  return nullptr;
}

const ExtraValue* Checkpoint::find_extra_value(const std::string& path) const {
  for (const auto& [p, v] : extra_values_) {
    if (p == path) return &v;
  }
  return nullptr;
}

Array Checkpoint::read(const TensorInfo& info) const {
  Array a;
  a.dtype = info.dtype;
  a.shape = info.shape;
  a.bytes.resize(static_cast<size_t>(info.numel()) * dtype_size(info.dtype));
  read_into(info, a.bytes.data(), a.bytes.size());
  return a;
}

std::function<std::optional<Array>(const std::string& key)> state_dict_lookup(
    const Checkpoint& checkpoint) {
  return [&checkpoint](const std::string& key) -> std::optional<Array> {
    const TensorInfo* t = checkpoint.find(key);
    if (t == nullptr) return std::nullopt;
    return checkpoint.read(*t);
  };
}

namespace {

std::string zip_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string s = zip_error_strerror(&error);
  zip_error_fini(&error);
  return s;
}

class ZipCheckpoint : public Checkpoint {
 public:
  ZipCheckpoint(const std::string& path, zip_t* zip, uint64_t file_size)
      : zip_(zip), file_size_(file_size) {
    path_ = path;
  }
  ~ZipCheckpoint() override { zip_discard(zip_); }

  [[noreturn]] void fail(const std::string& message) const {
    throw CheckpointError(path_ + ": " + message);
  }

  // The whole record into dst (exactly `size` bytes, checked against the zip
  // directory), read to its end so that libzip checks its CRC.
  void read_record_into(const std::string& name, uint64_t size, uint8_t* dst) const {
    std::lock_guard<std::mutex> lock(mutex_);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip_, name.c_str(), 0, &st) != 0) fail("no record " + name + " in the archive");
    if (!(st.valid & ZIP_STAT_SIZE)) fail("record " + name + " has no size");
    if (st.size != size) {
      fail("record " + name + " has " + std::to_string(st.size) + " bytes, expected " +
           std::to_string(size));
    }
    zip_file_t* f = zip_fopen(zip_, name.c_str(), 0);
    if (f == nullptr) fail("cannot open record " + name + ": " + zip_strerror(zip_));
    uint64_t got = 0;
    std::string error;
    while (got < size) {
      const zip_int64_t n = zip_fread(f, dst + got, size - got);
      if (n < 0) {
        error = zip_file_strerror(f);
        break;
      }
      if (n == 0) {
        error = "record ends early";
        break;
      }
      got += static_cast<uint64_t>(n);
    }
    if (error.empty()) {
      // One more read reaches the end of the record, where libzip compares the CRC.
      uint8_t extra;
      const zip_int64_t n = zip_fread(f, &extra, 1);
      if (n < 0)
        error = zip_file_strerror(f);
      else if (n > 0)
        error = "record longer than its size";
    }
    const int close = zip_fclose(f);
    if (error.empty() && close != 0) error = zip_message(close);
    if (!error.empty()) fail("cannot read record " + name + ": " + error);
  }

  // Sizes a zip directory claims, against what the file can hold.
  void check_sizes(const zip_stat_t& st, const std::string& name) const {
    if (!(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD) ||
        !(st.valid & ZIP_STAT_SIZE)) {
      fail("record " + name + " has no sizes");
    }
    if (st.comp_size > file_size_) fail("record " + name + " is larger than the file");
    const bool stored = st.comp_method == ZIP_CM_STORE;
    if ((stored && st.size != st.comp_size) ||
        (!stored && st.size / kMaxDeflateRatio > st.comp_size)) {
      fail("record " + name + " claims " + std::to_string(st.size) + " bytes from " +
           std::to_string(st.comp_size));
    }
  }

  // A small record whose size is only bounded (data.pkl, byteorder).
  std::vector<uint8_t> read_small_record(const std::string& name, uint64_t max_size) const {
    zip_stat_t st;
    zip_stat_init(&st);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (zip_stat(zip_, name.c_str(), 0, &st) != 0) fail("no record " + name + " in the archive");
    }
    check_sizes(st, name);
    if (st.size > max_size) {
      fail("record " + name + " is " + std::to_string(st.size) + " bytes, more than the " +
           std::to_string(max_size) + " allowed");
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(st.size));
    read_record_into(name, st.size, bytes.data());
    return bytes;
  }

  void read_into(const TensorInfo& info, void* dst, size_t dst_bytes) const override {
    check_destination(path_, info, dst_bytes);
    const uint64_t record_bytes =
        static_cast<uint64_t>(info.storage_numel) * dtype_size(info.dtype);
    auto* out = static_cast<uint8_t*>(dst);
    try {
      if (is_contiguous_whole(info)) {
        read_record_into(info.storage_record, record_bytes, out);  // the common case: no copy
        return;
      }
      std::vector<uint8_t> storage(static_cast<size_t>(record_bytes));
      read_record_into(info.storage_record, record_bytes, storage.data());
      copy_view(info, storage.data(), out);
    } catch (const CheckpointError& e) {
      throw CheckpointError(std::string(e.what()) + " (tensor '" + info.key + "')");
    }
  }

  void load() {
    const zip_int64_t n = zip_get_num_entries(zip_, 0);
    std::string pkl;
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0);
      if (name == nullptr) continue;
      const std::string s = name;
      if (s.size() >= 9 && s.compare(s.size() - 9, 9, "/data.pkl") == 0 &&
          s.find('/') == s.size() - 9) {
        pkl = s;
        break;
      }
    }
    if (pkl.empty()) fail("no <archive>/data.pkl record: not a PyTorch checkpoint");
    const std::string prefix = pkl.substr(0, pkl.size() - 8);  // "<archive>/"
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip_, (prefix + "byteorder").c_str(), 0, &st) == 0) {
      const std::vector<uint8_t> order = read_small_record(prefix + "byteorder", 16);
      if (std::string(order.begin(), order.end()) != "little")
        fail("tensors are stored big-endian, which is not supported");
    }
    const std::vector<uint8_t> bytes = read_small_record(pkl, kMaxPickleBytes);
    ParsedPickle parsed = parse_checkpoint_pickle(bytes.data(), bytes.size(), path_ + ": " + pkl,
                                                  prefix + "data/", false);
    tensors_ = std::move(parsed.tensors);
    extra_tensors_ = std::move(parsed.extra_tensors);
    extra_values_ = std::move(parsed.extra_values);
    // Every storage a tensor uses must be there with its size.
    std::vector<const TensorInfo*> all;
    for (const TensorInfo& t : tensors_) all.push_back(&t);
    for (const TensorInfo& t : extra_tensors_) all.push_back(&t);
    for (const TensorInfo* tp : all) {
      const TensorInfo& t = *tp;
      zip_stat_t s;
      zip_stat_init(&s);
      if (zip_stat(zip_, t.storage_record.c_str(), 0, &s) != 0) {
        fail("'" + t.key + "': no record " + t.storage_record + " in the archive");
      }
      const uint64_t want = static_cast<uint64_t>(t.storage_numel) * dtype_size(t.dtype);
      if (s.size != want) {
        fail("'" + t.key + "': record " + t.storage_record + " has " + std::to_string(s.size) +
             " bytes, expected " + std::to_string(want));
      }
      check_sizes(s, t.storage_record);
    }
  }

 private:
  zip_t* zip_;
  uint64_t file_size_;
  mutable std::mutex mutex_;  // libzip archives are not thread-safe
};

// The legacy format (torch.save before PyTorch 1.6, or with
// _use_new_zipfile_serialization=False): a magic-number pickle, a protocol
// version pickle, a sys_info pickle, the object's pickle, a pickle of the
// storage keys, then each storage in that order as an int64 element count and
// its raw little-endian data. The file is mapped, not read.
class LegacyCheckpoint : public Checkpoint {
 public:
  LegacyCheckpoint(const std::string& path, const uint8_t* map, size_t size)
      : map_(map), size_(size) {
    path_ = path;
  }
  ~LegacyCheckpoint() override { munmap(const_cast<uint8_t*>(map_), size_); }

  [[noreturn]] void fail(const std::string& message) const {
    throw CheckpointError(path_ + ": " + message);
  }

  void load() {
    // MAGIC_NUMBER = 0x1950a86a20f9469cfc6c as a pickled LONG1, protocol 2.
    static const uint8_t kMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                     0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
    if (size_ < 2 + sizeof kMagic || std::memcmp(map_ + 2, kMagic, sizeof kMagic) != 0) {
      fail("not a PyTorch checkpoint (neither a zip archive nor the legacy format)");
    }
    size_t pos = 2 + sizeof kMagic;
    auto next = [&](const char* what, const std::vector<std::string>& globals) {
      pickle::Options o;
      o.source = path_ + ": " + what;
      o.allowed_globals = globals;
      o.base_offset = pos;
      try {
        pickle::Document doc = pickle::parse(map_ + pos, size_ - pos, o);
        pos += doc.end_offset();
        return doc;
      } catch (const pickle::PickleError& e) {
        throw CheckpointError(e.what());
      }
    };
    {
      pickle::Document version = next("protocol version", {});
      if (!version.root()->is(Kind::kInt) || version.root()->integer != 1001) {
        fail("unsupported legacy protocol version " + pickle::describe(version.root()));
      }
    }
    {
      pickle::Document info = next("sys_info", {});
      const Value* little = info.root()->get("little_endian");
      if (little != nullptr && little->is(Kind::kBool) && !little->boolean)
        fail("saved big-endian, which is not supported");
    }
    ParsedPickle parsed =
        parse_checkpoint_pickle(map_ + pos, size_ - pos, path_ + ": object", "", true, pos);
    pos += parsed.end_offset;
    pickle::Document keys = next("storage keys", {});
    if (!keys.root()->is(Kind::kList))
      fail("storage keys are " + pickle::describe(keys.root()) + ", not a list");
    // Walk the storages: each is an int64 element count, then its data.
    for (const Value* k : keys.root()->items) {
      if (!k->is_text()) fail("storage key is " + pickle::describe(k));
      auto type = parsed.storage_types.find(k->text);
      if (type == parsed.storage_types.end())
        fail("storage " + k->text + " is not used by the pickle");
      if (size_ - pos < 8) fail("truncated at storage " + k->text);
      int64_t numel;
      std::memcpy(&numel, map_ + pos, 8);
      pos += 8;
      const uint64_t item = dtype_size(type->second);
      if (numel < 0 || static_cast<uint64_t>(numel) > (size_ - pos) / item)
        fail("truncated at storage " + k->text);
      if (!records_.emplace(k->text, Record{pos, numel}).second)
        fail("storage " + k->text + " appears twice");
      pos += static_cast<size_t>(numel) * item;
    }
    std::vector<const TensorInfo*> all;
    for (const TensorInfo& t : parsed.tensors) all.push_back(&t);
    for (const TensorInfo& t : parsed.extra_tensors) all.push_back(&t);
    for (const TensorInfo* tp : all) {
      const TensorInfo& t = *tp;
      auto r = records_.find(t.storage_record);
      if (r == records_.end()) fail("'" + t.key + "': storage " + t.storage_record + " is missing");
      if (r->second.numel != t.storage_numel) {
        fail("'" + t.key + "': storage " + t.storage_record + " has " +
             std::to_string(r->second.numel) + " elements, expected " +
             std::to_string(t.storage_numel));
      }
    }
    tensors_ = std::move(parsed.tensors);
    extra_tensors_ = std::move(parsed.extra_tensors);
    extra_values_ = std::move(parsed.extra_values);
  }

  void read_into(const TensorInfo& info, void* dst, size_t dst_bytes) const override {
    check_destination(path_, info, dst_bytes);
    auto r = records_.find(info.storage_record);
    if (r == records_.end() || r->second.numel != info.storage_numel)
      fail("'" + info.key + "': unknown storage");
    copy_view(info, map_ + r->second.offset, static_cast<uint8_t*>(dst));
  }

 private:
  struct Record {
    size_t offset;  // of the data, in the file
    int64_t numel;
  };
  const uint8_t* map_;
  size_t size_;
  std::unordered_map<std::string, Record> records_;
};

std::unique_ptr<Checkpoint> open_legacy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CheckpointError(path + ": cannot open file");
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    throw CheckpointError(path + ": cannot read file");
  }
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw CheckpointError(path + ": cannot map file");
  auto checkpoint = std::make_unique<LegacyCheckpoint>(path, static_cast<const uint8_t*>(map),
                                                       static_cast<size_t>(st.st_size));
  checkpoint->load();
  return checkpoint;
}

}  // namespace

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string& path) {
  {
    try {
      check_regular_file(path);  // a folder or a FIFO would fail oddly below
    } catch (const FileError& e) {
      throw CheckpointError(e.what());
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(path + ": cannot open file");
    char head[4] = {};
    in.read(head, 4);
    if (in.gcount() >= 2 && static_cast<uint8_t>(head[0]) == 0x80 &&
        static_cast<uint8_t>(head[1]) <= 5) {
      return open_legacy(path);
    }
  }
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (zip == nullptr) {
    if (code == ZIP_ER_NOZIP)
      throw CheckpointError(path + ": not a zip archive (not a PyTorch checkpoint, or truncated)");
    throw CheckpointError(path + ": cannot open as a zip archive: " + zip_message(code));
  }
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) {
    zip_discard(zip);
    throw CheckpointError(path + ": cannot read file size");
  }
  auto checkpoint = std::make_unique<ZipCheckpoint>(path, zip, file_size);
  checkpoint->load();
  return checkpoint;
}

}  // namespace intershape::core::formats
