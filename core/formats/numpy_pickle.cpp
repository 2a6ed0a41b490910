#include "core/formats/numpy_pickle.h"

#include <cstring>
#include <limits>

namespace intershape::core::formats {

namespace {

using pickle::Kind;
using pickle::Value;

// Errors name the file and the entry being read.
struct Where {
  const std::string& source;
  std::string key;
  [[noreturn]] void fail(const std::string& message) const {
    throw ArrayError(source + ": '" + key + "': " + message);
  }
};

struct NumpyType {
  DType dtype;      // what we store
  size_t itemsize;  // in the file
  char kind;        // 'f', 'i', 'u', 'b'
  bool big_endian;
};

NumpyType numpy_dtype(const Value* v, const Where& at) {
  if (v == nullptr || !v->is_object("numpy.dtype"))
    at.fail("array dtype is " + pickle::describe(v) + ", not numpy.dtype");
  if (v->args == nullptr || v->args->items.empty() || !v->args->items[0]->is_text()) {
    at.fail("numpy.dtype without a type code");
  }
  std::string code = v->args->items[0]->text;
  char order = '=';
  if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '=' || code[0] == '|')) {
    order = code[0];
    code.erase(0, 1);
  }
  // dtype state (version, byte order, ...): the byte order is entry 1.
  if (v->state != nullptr && v->state->is(Kind::kTuple) && v->state->items.size() >= 2 &&
      v->state->items[1]->is_text() && v->state->items[1]->text.size() == 1) {
    order = v->state->items[1]->text[0];
  }
  static const struct {
    const char* code;
    DType dtype;
    size_t size;
    char kind;
  } kTypes[] = {{"f8", DType::kFloat64, 8, 'f'}, {"f4", DType::kFloat32, 4, 'f'},
                {"f2", DType::kFloat16, 2, 'f'}, {"i8", DType::kInt64, 8, 'i'},
                {"i4", DType::kInt32, 4, 'i'},   {"i2", DType::kInt16, 2, 'i'},
                {"i1", DType::kInt8, 1, 'i'},    {"u8", DType::kInt64, 8, 'u'},
                {"u4", DType::kInt64, 4, 'u'},   {"u2", DType::kInt32, 2, 'u'},
                {"u1", DType::kUInt8, 1, 'u'},   {"b1", DType::kBool, 1, 'b'}};
  for (const auto& t : kTypes) {
    if (code == t.code) {
      if (order != '<' && order != '>' && order != '=' && order != '|')
        at.fail("unknown byte order in dtype");
      return {t.dtype, t.size, t.kind, order == '>' && t.size > 1};
    }
  }
  std::string printable = code.substr(0, 16);
  for (char& c : printable) {
    if (c < 32 || c > 126) c = '?';
  }
  at.fail("unsupported numpy dtype '" + printable + "'");
}

std::vector<int64_t> int_tuple(const Value* v, const Where& at, const char* what) {
  if (v == nullptr || !v->is_sequence())
    at.fail(std::string(what) + " is " + pickle::describe(v) + ", not a tuple");
  if (v->items.size() > 32) at.fail(std::string(what) + " has too many dimensions");
  std::vector<int64_t> out;
  for (const Value* d : v->items) {
    if (!d->is(Kind::kInt) || d->integer < 0)
      at.fail(std::string(what) + " has a bad entry: " + pickle::describe(d));
    out.push_back(d->integer);
  }
  return out;
}

// Product of dims, or -1 when above `limit` (so no overflow is possible).
int64_t bounded_product(const std::vector<int64_t>& dims, int64_t limit) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d == 0) return 0;
  }
  for (int64_t d : dims) {
    if (d > limit / n) return -1;
    n *= d;
  }
  return n;
}

// Raw array bytes: a bytes value, or what Python 3 writes for bytes at
// protocol 2, _codecs.encode(text, 'latin1') (each code point one byte).
std::string raw_bytes(const Value* raw, const Where& at) {
  if (raw->is(Kind::kBytes)) return raw->text;
  if (raw->is_object("_codecs.encode") && raw->args->items.size() == 2 &&
      raw->args->items[0]->is(Kind::kStr) && raw->args->items[1]->is_text() &&
      (raw->args->items[1]->text == "latin1" || raw->args->items[1]->text == "latin-1")) {
    const std::string& u = raw->args->items[0]->text;  // valid UTF-8 (the reader checked)
    std::string out;
    out.reserve(u.size());
    for (size_t i = 0; i < u.size();) {
      const auto c = static_cast<uint8_t>(u[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        i += 1;
      } else if ((c >> 5) == 6 && i + 1 < u.size()) {
        const uint32_t cp = ((c & 0x1fu) << 6) | (static_cast<uint8_t>(u[i + 1]) & 0x3fu);
        if (cp > 0xff) at.fail("array data is not latin-1 text");
        out.push_back(static_cast<char>(cp));
        i += 2;
      } else {
        at.fail("array data is not latin-1 text");
      }
    }
    return out;
  }
  at.fail("array data is " + pickle::describe(raw) + ", not raw bytes");
}

bool is_reconstruct(const Value* v) {
  return v->is_object("numpy.core.multiarray._reconstruct") ||
         v->is_object("numpy._core.multiarray._reconstruct");
}

// np.ndarray pickled as _reconstruct(ndarray, (0,), b'b') + BUILD (version,
// shape, dtype, is_fortran, raw): to a C-ordered, native-endian Array.
Array ndarray(const Value* v, const Where& at) {
  if (!is_reconstruct(v)) at.fail("expected a numpy array, got " + pickle::describe(v));
  const Value* s = v->state;
  if (s == nullptr || !s->is(Kind::kTuple) || (s->items.size() != 5 && s->items.size() != 4)) {
    at.fail("numpy array without its (version, shape, dtype, is_fortran, data) state");
  }
  const size_t o = s->items.size() == 5 ? 1 : 0;
  const std::vector<int64_t> shape = int_tuple(s->items[o], at, "array shape");
  const NumpyType type = numpy_dtype(s->items[o + 1], at);
  const Value* fortran = s->items[o + 2];
  if (!fortran->is(Kind::kBool) && !fortran->is(Kind::kInt))
    at.fail("array is_fortran flag is " + pickle::describe(fortran));
  const bool is_fortran = fortran->is(Kind::kBool) ? fortran->boolean : fortran->integer != 0;
  const std::string raw = raw_bytes(s->items[o + 3], at);
  const int64_t numel = bounded_product(shape, static_cast<int64_t>(raw.size()));
  if (numel < 0 || static_cast<uint64_t>(numel) * type.itemsize != raw.size()) {
    at.fail("array of shape " + shape_string(shape) + " and " + std::to_string(type.itemsize) +
            "-byte items has " + std::to_string(raw.size()) + " bytes of data");
  }
  // Element n of the C order is element src_index(n) of the file's order.
  std::vector<int64_t> f_stride(shape.size(), 1);
  for (size_t k = 1; k < shape.size(); ++k) f_stride[k] = f_stride[k - 1] * shape[k - 1];
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t f_off = 0;

  Array out;
  out.dtype = type.dtype;
  out.shape = shape;
  const size_t out_size = dtype_size(type.dtype);
  out.bytes.resize(static_cast<size_t>(numel) * out_size);
  const auto* src = reinterpret_cast<const uint8_t*>(raw.data());
  for (int64_t n = 0; n < numel; ++n) {
    const int64_t from = is_fortran ? f_off : n;
    uint8_t item[8];
    std::memcpy(item, src + static_cast<size_t>(from) * type.itemsize, type.itemsize);
    if (type.big_endian) {
      for (size_t a = 0, b = type.itemsize - 1; a < b; ++a, --b) std::swap(item[a], item[b]);
    }
    uint8_t* dst = out.bytes.data() + static_cast<size_t>(n) * out_size;
    if (type.kind == 'u' && type.itemsize > 1) {  // widened to the next signed type
      uint64_t u = 0;
      std::memcpy(&u, item, type.itemsize);  // little-endian host
      if (type.itemsize == 8 && u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        at.fail("uint64 value does not fit int64");
      }
      if (out_size == 8) {
        const int64_t w = static_cast<int64_t>(u);
        std::memcpy(dst, &w, 8);
      } else {
        const int32_t w = static_cast<int32_t>(u);
        std::memcpy(dst, &w, 4);
      }
    } else if (type.kind == 'b') {
      *dst = item[0] != 0 ? 1 : 0;
    } else {
      std::memcpy(dst, item, out_size);
    }
    if (is_fortran) {  // advance the C-order multi-index, tracking the Fortran offset
      for (size_t k = shape.size(); k-- > 0;) {
        if (++idx[k] < shape[k]) {
          f_off += f_stride[k];
          break;
        }
        f_off -= f_stride[k] * (shape[k] - 1);
        idx[k] = 0;
      }
    }
  }
  return out;
}

Array dense(const Value* v, const Where& at, int depth);

// scipy.sparse.csc_matrix (state: _shape, data, indices, indptr) to dense float64.
Array csc_to_dense(const Value* v, const Where& at, int depth) {
  const Value* shape_v = v->attr("_shape");
  if (shape_v == nullptr) shape_v = v->attr("shape");
  const std::vector<int64_t> shape = int_tuple(shape_v, at, "sparse matrix shape");
  if (shape.size() != 2) at.fail("sparse matrix shape " + shape_string(shape) + " is not 2-D");
  const Value* data_v = v->attr("data");
  const Value* indices_v = v->attr("indices");
  const Value* indptr_v = v->attr("indptr");
  if (!data_v || !indices_v || !indptr_v) at.fail("sparse matrix without data, indices and indptr");
  const Array data = dense(data_v, at, depth + 1);
  const Array indices = dense(indices_v, at, depth + 1);
  const Array indptr = dense(indptr_v, at, depth + 1);
  if (is_floating(indices.dtype) || is_floating(indptr.dtype))
    at.fail("sparse matrix indices are not integers");
  const int64_t rows = shape[0], cols = shape[1];
  // The dense copy is not bounded by the file's size: bound it by what a joint
  // regressor can be (MANO's is 16 x 778).
  if (bounded_product(shape, int64_t{1} << 20) < 0)
    at.fail("sparse matrix " + shape_string(shape) + " is too large");
  if (indptr.numel() != cols + 1)
    at.fail("sparse matrix indptr has " + std::to_string(indptr.numel()) + " entries for " +
            std::to_string(cols) + " columns");
  const int64_t nnz = data.numel();
  if (indices.numel() != nnz)
    at.fail("sparse matrix has " + std::to_string(nnz) + " values but " +
            std::to_string(indices.numel()) + " indices");
  const std::vector<int64_t> ptr = indptr.to_int64();
  const std::vector<int64_t> row = indices.to_int64();
  if (!is_floating(data.dtype)) at.fail("sparse matrix values are not floating-point");
  std::vector<double> vals(static_cast<size_t>(nnz));
  if (data.dtype == DType::kFloat64) {
    if (nnz > 0) std::memcpy(vals.data(), data.bytes.data(), data.bytes.size());
  } else {
    const std::vector<float> f = data.to_float();
    for (size_t i = 0; i < f.size(); ++i) vals[i] = f[i];
  }
  Array out;
  out.dtype = DType::kFloat64;
  out.shape = shape;
  out.bytes.assign(static_cast<size_t>(rows * cols) * 8, 0);
  std::vector<double> acc(static_cast<size_t>(rows * cols), 0.0);
  if (ptr[0] != 0) at.fail("sparse matrix indptr does not start at 0");
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t b = ptr[static_cast<size_t>(c)], e = ptr[static_cast<size_t>(c) + 1];
    if (b > e || e > nnz)
      at.fail("sparse matrix indptr out of range at column " + std::to_string(c));
    for (int64_t k = b; k < e; ++k) {
      const int64_t r = row[static_cast<size_t>(k)];
      if (r < 0 || r >= rows)
        at.fail("sparse matrix row index " + std::to_string(r) + " out of range");
      // todense() sums duplicates in the data's precision.
      acc[static_cast<size_t>(r * cols + c)] += vals[static_cast<size_t>(k)];
    }
  }
  if (!acc.empty()) std::memcpy(out.bytes.data(), acc.data(), acc.size() * 8);
  return out;
}

// chumpy.reordering.Select: a.r.ravel()[idxs].reshape(preferred_shape).
Array select(const Value* v, const Where& at, int depth) {
  const Value* a_v = v->attr("a");
  const Value* idxs_v = v->attr("idxs");
  if (!a_v || !idxs_v) at.fail("chumpy Select without 'a' and 'idxs'");
  const Array a = dense(a_v, at, depth + 1);
  const Array idxs = dense(idxs_v, at, depth + 1);
  if (is_floating(idxs.dtype)) at.fail("chumpy Select indices are not integers");
  std::vector<int64_t> shape = idxs.shape;
  const Value* pref = v->attr("preferred_shape");
  if (pref != nullptr && !pref->is(Kind::kNone))
    shape = int_tuple(pref, at, "chumpy Select preferred_shape");
  if (bounded_product(shape, idxs.numel()) != idxs.numel() ||
      (shape.empty() && idxs.numel() != 1)) {
    at.fail("chumpy Select of " + std::to_string(idxs.numel()) +
            " elements cannot take the shape " + shape_string(shape));
  }
  const std::vector<int64_t> index = idxs.to_int64();
  const size_t item = dtype_size(a.dtype);
  const int64_t n = a.numel();
  Array out;
  out.dtype = a.dtype;
  out.shape = shape;
  out.bytes.resize(index.size() * item);
  for (size_t k = 0; k < index.size(); ++k) {
    if (index[k] < 0 || index[k] >= n)
      at.fail("chumpy Select index " + std::to_string(index[k]) + " out of range for " +
              std::to_string(n) + " elements");
    std::memcpy(out.bytes.data() + k * item, a.bytes.data() + static_cast<size_t>(index[k]) * item,
                item);
  }
  return out;
}

// Any array-like value of a MANO file: ndarray, chumpy Ch (its x), chumpy
// Select, scipy csc_matrix.
Array dense(const Value* v, const Where& at, int depth) {
  // Select -> Ch -> ndarray is the deepest a MANO file goes; a shallow bound
  // also keeps memo-shared subtrees from being converted over and over.
  if (depth > 3) at.fail("array nested too deeply");
  if (v == nullptr) at.fail("missing array");
  if (is_reconstruct(v)) return ndarray(v, at);
  if (v->is_object("chumpy.ch.Ch")) {
    const Value* x = v->attr("x");
    if (x == nullptr) at.fail("chumpy Ch without 'x'");
    return dense(x, at, depth + 1);
  }
  if (v->is_object("chumpy.reordering.Select")) return select(v, at, depth);
  if (v->is_object("scipy.sparse.csc.csc_matrix") || v->is_object("scipy.sparse._csc.csc_matrix")) {
    return csc_to_dense(v, at, depth);
  }
  at.fail("expected an array, got " + pickle::describe(v));
}
}  // namespace

Array array_from_pickle(const pickle::Value* value, const std::string& source,
                        const std::string& what) {
  return dense(value, Where{source, what}, 0);
}

}  // namespace intershape::core::formats
