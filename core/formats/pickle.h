#pragma once
// A pickle reader (protocols 0 to 5, the opcodes data files use) that builds
// plain values and never runs anything: a class or function named by the
// pickle (GLOBAL, STACK_GLOBAL) is only a name, accepted when the caller's
// allow-list holds it and otherwise an error; REDUCE, NEWOBJ and BUILD record
// what the pickle asked for (an Object: class name, arguments, state) for the
// caller to interpret. Persistent ids (PERSID, BINPERSID) go to a caller
// callback. No LibTorch.
//
// Untrusted input: every length and memo index is checked against what is left
// of the input before use, the value graph's nesting is bounded, and memory is
// bounded by a small multiple of the input size. Errors are PickleError with
// the source name and the byte offset of the offending opcode.
//
// The value graph may contain shared nodes and cycles (through the memo, as in
// Python): code that walks it recursively must bound its own depth.
//
// Thread: a Document is plain data; parse() may run on any thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace intershape::core::formats::pickle {

class PickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,
  kFloat,
  kBytes,  // bytes, bytearray, and Python 2 `str` (BINSTRING, SHORT_BINSTRING)
  kStr,    // unicode text, UTF-8
  kTuple,
  kList,
  kDict,  // ordered (key, value) pairs; a repeated key replaces the value (keys
          // compare by value when scalars, texts or small tuples of them up
          // to 256 bytes, otherwise by identity)
  kSet,
  kFrozenSet,
  kGlobal,      // an allowed class or function, by name ("module.qualname")
  kObject,      // what REDUCE / NEWOBJ / NEWOBJ_EX made from a kGlobal
  kPersistent,  // a persistent id, as the default persistent_load wraps it
};

const char* kind_name(Kind kind);

struct Value {
  Kind kind = Kind::kNone;
  bool boolean = false;  // kBool
  int64_t integer = 0;   // kInt (values outside int64 are an error)
  double real = 0;       // kFloat
  // kBytes / kStr: the payload; kGlobal: "module.qualname"; kObject: the class
  // or function name of its kGlobal.
  std::string text;
  // kTuple / kList / kSet / kFrozenSet: the elements; kObject: elements added by
  // APPEND / APPENDS / ADDITEMS (list-like objects).
  std::vector<Value*> items;
  // kDict: the pairs in insertion order; kObject: pairs added by SETITEM(S)
  // (dict-like objects such as collections.OrderedDict).
  std::vector<std::pair<Value*, Value*>> pairs;
  // kObject: the call's arguments (a kTuple; REDUCE, NEWOBJ, NEWOBJ_EX), its
  // keyword arguments (NEWOBJ_EX, else null) and the BUILD state (null when no
  // BUILD). kPersistent: `args` is the persistent id.
  Value* args = nullptr;
  Value* kwargs = nullptr;
  Value* state = nullptr;
  bool newobj = false;  // kObject made by NEWOBJ / NEWOBJ_EX (cls.__new__), not REDUCE
  uint32_t depth = 0;   // nesting depth as built (0 for scalars)

  bool is(Kind k) const { return kind == k; }
  bool is_text() const { return kind == Kind::kStr || kind == Kind::kBytes; }
  bool is_sequence() const { return kind == Kind::kTuple || kind == Kind::kList; }
  // kObject of the given class name.
  bool is_object(std::string_view cls) const { return kind == Kind::kObject && text == cls; }
  // Dict (or dict-like object) entry whose key is the text `key` (str or
  // bytes); null if absent or if this is neither.
  const Value* get(std::string_view key) const;
  // State entry of an object whose BUILD state is a dict (or a (dict,
  // slotstate) tuple); null if absent.
  const Value* attr(std::string_view key) const;
};

// "dict", "tuple of 3", "str 'f8'", "object numpy.dtype": for error messages.
std::string describe(const Value* value);

// Owns every value of one parse; values are addressed by stable pointers.
class Document {
 public:
  Document() = default;
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  Value* root() const { return root_; }
  // Offset just past the STOP opcode: where a following pickle starts.
  size_t end_offset() const { return end_offset_; }
  const std::string& source() const { return source_; }
  // For persistent_load callbacks that build their own values.
  Value* make(Kind kind);
  size_t size() const { return values_.size(); }

 private:
  friend class Unpickler;
  std::deque<Value> values_;
  Value* root_ = nullptr;
  size_t end_offset_ = 0;
  std::string source_;
};

// Called for PERSID / BINPERSID with the persistent id (for BINPERSID any
// value, for PERSID a kStr); returns the value to push (made with doc.make,
// or an existing one). Throwing std::exception rejects the id: the message is
// wrapped with the source name and the offset.
using PersistentLoad = std::function<Value*(Document& doc, Value* pid)>;

struct Options {
  std::string source = "<pickle>";  // file name, for messages
  // Names a GLOBAL / STACK_GLOBAL may refer to, as "module.qualname"
  // ("numpy.core.multiarray._reconstruct", "collections.OrderedDict"). Any
  // other name is an error naming it.
  std::vector<std::string> allowed_globals;
  // Empty: a persistent id is an error.
  PersistentLoad persistent_load;
  // Added to the byte offsets in messages: where `data` starts in its file.
  size_t base_offset = 0;
  // Bound on the nesting depth of containers and objects as they are built.
  uint32_t max_depth = 200;
};

// Parses one pickle (up to its STOP; bytes after it are ignored).
Document parse(const uint8_t* data, size_t size, const Options& options);
Document parse(const std::vector<uint8_t>& data, const Options& options);

// Reads a whole file; a missing or unreadable file is a PickleError naming it.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace intershape::core::formats::pickle
