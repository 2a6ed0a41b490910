#include "core/formats/torch_save_writer.h"

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "core/formats/atomic_file.h"
#include "core/formats/npz_writer.h"

namespace intershape::core::formats {
namespace {

// ---------------------------------------------------------------- pickle
class Pickler {
 public:
  explicit Pickler(std::vector<std::shared_ptr<const std::vector<uint8_t>>>* storages)
      : storages_(storages) {}
  std::string out;

  void op(uint8_t c) { out.push_back(static_cast<char>(c)); }
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  void global(const std::string& module, const std::string& name) {
    op('c');
    out += module + "\n" + name + "\n";
  }
  void str(const std::string& s) {
    if (s.size() > std::numeric_limits<uint32_t>::max()) throw std::length_error("pickle: string");
    op('X');  // BINUNICODE
    u32(static_cast<uint32_t>(s.size()));
    out += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<uint8_t>(v));
    } else if (v >= std::numeric_limits<int32_t>::min() &&
               v <= std::numeric_limits<int32_t>::max()) {
      op('J');
      u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      op(0x8a);  // LONG1: 8 bytes little-endian two's complement
      op(8);
      for (int k = 0; k < 8; ++k)
        out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff));
    }
  }
  void real(double v) {
    op('G');  // BINFLOAT, big-endian
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    for (int k = 7; k >= 0; --k) out.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
  }
  void tuple_of(const std::vector<PyValue>& items) {
    if (items.empty()) {
      op(')');
      return;
    }
    if (items.size() <= 3) {
      for (const PyValue& v : items) value(v);
      op(static_cast<uint8_t>(0x85 + items.size() - 1));  // TUPLE1..3
      return;
    }
    op('(');
    for (const PyValue& v : items) value(v);
    op('t');
  }
  void ints_tuple(const std::vector<int64_t>& v) {
    std::vector<PyValue> items;
    for (int64_t x : v) items.push_back(PyValue::integer(x));
    tuple_of(items);
  }
  void dict_items(const std::vector<std::pair<PyValue, PyValue>>& entries) {
    if (entries.empty()) return;
    op('(');
    for (const auto& [k, v] : entries) {
      value(k);
      value(v);
    }
    op('u');  // SETITEMS
  }

  void value(const PyValue& v) {
    using K = PyValue::Kind;
    switch (v.kind) {
      case K::kNone:
        op('N');
        return;
      case K::kBool:
        op(v.b ? 0x88 : 0x89);
        return;
      case K::kInt:
        integer(v.i);
        return;
      case K::kFloat:
        real(v.f);
        return;
      case K::kStr:
        str(v.s);
        return;
      case K::kTuple:
        tuple_of(v.items);
        return;
      case K::kList:
        op(']');
        if (!v.items.empty()) {
          op('(');
          for (const PyValue& x : v.items) value(x);
          op('e');  // APPENDS
        }
        return;
      case K::kDict:
        op('}');
        dict_items(v.entries);
        return;
      case K::kOrderedDict:
        global("collections", "OrderedDict");
        op(')');
        op('R');
        dict_items(v.entries);
        return;
      case K::kTensor:
        tensor(v);
        return;
    }
  }

  void tensor(const PyValue& v) {
    int64_t numel = 1;
    for (int64_t d : v.shape) numel *= d;
    if (!v.data ||
        static_cast<int64_t>(v.data->size()) != numel * static_cast<int64_t>(dtype_size(v.dtype)))
      throw std::invalid_argument("torch.save writer: tensor data does not match its shape");
    const std::string key = std::to_string(storages_->size());
    storages_->push_back(v.data);
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    // persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)
    op('(');
    str("storage");
    global("torch", storage_name(v.dtype));
    str(key);
    str("cpu");
    integer(numel);
    op('t');
    op('Q');     // BINPERSID
    integer(0);  // storage offset
    ints_tuple(v.shape);
    std::vector<int64_t> stride(v.shape.size(), 1);
    for (size_t d = v.shape.size(); d-- > 1;) stride[d - 1] = stride[d] * v.shape[d];
    ints_tuple(stride);
    op(v.requires_grad ? 0x88 : 0x89);
    global("collections", "OrderedDict");
    op(')');
    op('R');
    op('t');
    op('R');
  }

  static const char* storage_name(DType t) {
    switch (t) {
      case DType::kFloat32:
        return "FloatStorage";
      case DType::kFloat64:
        return "DoubleStorage";
      case DType::kFloat16:
        return "HalfStorage";
      case DType::kBFloat16:
        return "BFloat16Storage";
      case DType::kInt64:
        return "LongStorage";
      case DType::kInt32:
        return "IntStorage";
      case DType::kInt16:
        return "ShortStorage";
      case DType::kInt8:
        return "CharStorage";
      case DType::kUInt8:
        return "ByteStorage";
      case DType::kBool:
        return "BoolStorage";
    }
    return "FloatStorage";
  }

 private:
  std::vector<std::shared_ptr<const std::vector<uint8_t>>>* storages_;
};

// ---------------------------------------------------------------- zip

class ZipWriter {
 public:
  explicit ZipWriter(AtomicFile& file) : file_(file) {}

  void add(const std::string& name, const uint8_t* data, size_t size) {
    const uint64_t offset = pos_;
    // PyTorch aligns record data to 64 bytes with an extra field ('FB' + padding).
    const size_t header = 30 + name.size();
    size_t pad = (64 - (offset + header + 4) % 64) % 64;
    const uint32_t crc = formats::crc32(data, size);  // npz_writer.h: the zip CRC-32
    check_32(offset + header + 4 + pad + size, name);
    std::string h;
    le(h, 0x04034b50u, 4);
    le(h, 20, 2);    // version needed
    le(h, 0, 2);     // flags
    le(h, 0, 2);     // stored
    le(h, 0, 2);     // time
    le(h, 0x21, 2);  // date (1980-01-01)
    le(h, crc, 4);
    le(h, size, 4);
    le(h, size, 4);
    le(h, name.size(), 2);
    le(h, 4 + pad, 2);
    h += name;
    le(h, 0x4246, 2);  // 'FB'
    le(h, pad, 2);
    h.append(pad, 'Z');
    write(h);
    file_.write(data, size);
    pos_ += size;
    entries_.push_back({name, crc, size, offset});
  }

  void finish() {
    const uint64_t cd_start = pos_;
    for (const Entry& e : entries_) {
      std::string c;
      le(c, 0x02014b50u, 4);
      le(c, 20, 2);  // made by
      le(c, 20, 2);  // needed
      le(c, 0, 2);
      le(c, 0, 2);
      le(c, 0, 2);
      le(c, 0x21, 2);
      le(c, e.crc, 4);
      le(c, e.size, 4);
      le(c, e.size, 4);
      le(c, e.name.size(), 2);
      le(c, 0, 2);  // extra
      le(c, 0, 2);  // comment
      le(c, 0, 2);  // disk
      le(c, 0, 2);  // internal attrs
      le(c, 0, 4);  // external attrs
      le(c, e.offset, 4);
      c += e.name;
      write(c);
    }
    const uint64_t cd_size = pos_ - cd_start;
    check_32(pos_ + 22, "the central directory");
    std::string end;
    le(end, 0x06054b50u, 4);
    le(end, 0, 2);
    le(end, 0, 2);
    le(end, entries_.size(), 2);
    le(end, entries_.size(), 2);
    le(end, cd_size, 4);
    le(end, cd_start, 4);
    le(end, 0, 2);
    write(end);
  }

 private:
  struct Entry {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
  };
  static void le(std::string& s, uint64_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  void write(const std::string& s) {
    file_.write(s.data(), s.size());
    pos_ += s.size();
  }
  void check_32(uint64_t end, const std::string& what) const {
    if (end >= 0xffffffffull || entries_.size() >= 0xffff)
      throw ExportError("cannot write " + file_.path() + ": " + what +
                        " would pass 4 GiB or 65535 records (zip64 is not supported)");
  }
  AtomicFile& file_;
  uint64_t pos_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace

PyValue PyValue::boolean(bool v) {
  PyValue p;
  p.kind = Kind::kBool;
  p.b = v;
  return p;
}
PyValue PyValue::integer(int64_t v) {
  PyValue p;
  p.kind = Kind::kInt;
  p.i = v;
  return p;
}
PyValue PyValue::real(double v) {
  PyValue p;
  p.kind = Kind::kFloat;
  p.f = v;
  return p;
}
PyValue PyValue::str(std::string v) {
  PyValue p;
  p.kind = Kind::kStr;
  p.s = std::move(v);
  return p;
}
PyValue PyValue::tuple(std::vector<PyValue> v) {
  PyValue p;
  p.kind = Kind::kTuple;
  p.items = std::move(v);
  return p;
}
PyValue PyValue::list(std::vector<PyValue> v) {
  PyValue p;
  p.kind = Kind::kList;
  p.items = std::move(v);
  return p;
}
PyValue PyValue::dict() {
  PyValue p;
  p.kind = Kind::kDict;
  return p;
}
PyValue PyValue::ordered_dict() {
  PyValue p;
  p.kind = Kind::kOrderedDict;
  return p;
}
PyValue PyValue::tensor(DType dtype, std::vector<int64_t> shape,
                        std::shared_ptr<const std::vector<uint8_t>> data) {
  PyValue p;
  p.kind = Kind::kTensor;
  p.dtype = dtype;
  p.shape = std::move(shape);
  p.data = std::move(data);
  return p;
}

std::string pickle_torch(const PyValue& root,
                         std::vector<std::shared_ptr<const std::vector<uint8_t>>>* storages) {
  Pickler p(storages);
  p.op(0x80);  // PROTO 2
  p.op(2);
  p.value(root);
  p.op('.');
  return p.out;
}

void write_torch_save(const std::string& path, const PyValue& root) {
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> storages;
  std::string pkl;
  try {
    pkl = pickle_torch(root, &storages);
  } catch (const std::exception& e) {
    throw ExportError("cannot write " + path + ": " + e.what());
  }
  AtomicFile file(path);
  ZipWriter zip(file);
  zip.add("archive/data.pkl", reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size());
  static const char kByteOrder[] = "little";
  zip.add("archive/byteorder", reinterpret_cast<const uint8_t*>(kByteOrder), 6);
  for (size_t i = 0; i < storages.size(); ++i)
    zip.add("archive/data/" + std::to_string(i), storages[i]->data(), storages[i]->size());
  static const char kVersion[] = "3\n";
  zip.add("archive/version", reinterpret_cast<const uint8_t*>(kVersion), 2);
  zip.finish();
  file.commit();
}

}  // namespace intershape::core::formats
