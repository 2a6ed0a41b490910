#include "core/formats/pickle.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "core/formats/file_io.h"

namespace intershape::core::formats::pickle {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kBytes:
      return "bytes";
    case Kind::kStr:
      return "str";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kSet:
      return "set";
    case Kind::kFrozenSet:
      return "frozenset";
    case Kind::kGlobal:
      return "global";
    case Kind::kObject:
      return "object";
    case Kind::kPersistent:
      return "persistent id";
  }
  return "?";
}

namespace {

const Value* find_text_key(const std::vector<std::pair<Value*, Value*>>& pairs,
                           std::string_view key) {
  // Last match wins, as a later SETITEM of an unhashable-looking key would.
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    if (it->first->is_text() && it->first->text == key) return it->second;
  }
  return nullptr;
}

}  // namespace

const Value* Value::get(std::string_view key) const {
  if (kind != Kind::kDict && kind != Kind::kObject) return nullptr;
  return find_text_key(pairs, key);
}

const Value* Value::attr(std::string_view key) const {
  if (kind != Kind::kObject || state == nullptr) return nullptr;
  const Value* s = state;
  // BUILD with a (state, slotstate) tuple: the instance dict is the first.
  if (s->kind == Kind::kTuple && s->items.size() == 2 && s->items[0]->kind == Kind::kDict)
    s = s->items[0];
  if (s->kind != Kind::kDict) return nullptr;
  return find_text_key(s->pairs, key);
}

std::string describe(const Value* v) {
  if (v == nullptr) return "nothing";
  auto quoted = [](const std::string& t) {
    std::string s = t.size() > 40 ? t.substr(0, 40) + "..." : t;
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
    }
    return "'" + s + "'";
  };
  switch (v->kind) {
    case Kind::kInt:
      return "int " + std::to_string(v->integer);
    case Kind::kFloat:
      return "float";
    case Kind::kBool:
      return v->boolean ? "True" : "False";
    case Kind::kStr:
      return "str " + quoted(v->text);
    case Kind::kBytes:
      return "bytes of length " + std::to_string(v->text.size());
    case Kind::kTuple:
    case Kind::kList:
    case Kind::kSet:
    case Kind::kFrozenSet:
      return std::string(kind_name(v->kind)) + " of " + std::to_string(v->items.size());
    case Kind::kDict:
      return "dict of " + std::to_string(v->pairs.size());
    case Kind::kGlobal:
      return "global " + v->text;
    case Kind::kObject:
      return "object " + v->text;
    default:
      return kind_name(v->kind);
  }
}

Value* Document::make(Kind kind) {
  values_.emplace_back();
  values_.back().kind = kind;
  return &values_.back();
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  try {
    return core::formats::read_file_bytes(path);
  } catch (const FileError& e) {
    throw PickleError(e.what());
  }
}

// The pickle virtual machine, minus everything that would run code.
class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const Options& options)
      : data_(data), size_(size), options_(options) {
    doc_.source_ = options.source;
    none_ = doc_.make(Kind::kNone);
    true_ = doc_.make(Kind::kBool);
    true_->boolean = true;
    false_ = doc_.make(Kind::kBool);
  }

  Document run() {
    while (true) {
      op_pos_ = pos_;
      if (pos_ >= size_) fail("truncated: the pickle ends without STOP");
      const uint8_t op = data_[pos_++];
      if (op == '.') {  // STOP
        doc_.root_ = pop();
        doc_.end_offset_ = pos_;
        return std::move(doc_);
      }
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw PickleError(options_.source + ": byte " + std::to_string(options_.base_offset + op_pos_) +
                      ": " + message);
  }

  // ---- input ----
  size_t left() const { return size_ - pos_; }
  void need(uint64_t n, const char* what) {
    if (n > left()) {
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(left()) + " left");
    }
  }
  uint8_t u8() {
    need(1, "opcode argument");
    return data_[pos_++];
  }
  uint64_t uint_le(int n) {
    need(static_cast<uint64_t>(n), "integer argument");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string_view take(uint64_t n, const char* what) {
    need(n, what);
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string_view line() {
    const void* nl = std::memchr(data_ + pos_, '\n', left());
    if (nl == nullptr) fail("truncated: no end of line");
    const size_t n = static_cast<size_t>(static_cast<const uint8_t*>(nl) - (data_ + pos_));
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n + 1;
    return s;
  }

  // ---- stack ----
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  void push(Value* v) { stack_.push_back(v); }
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("MARK missing");
    const size_t k = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(k), stack_.end());
    stack_.resize(k);
    return items;
  }

  Value* make(Kind kind) { return doc_.make(kind); }
  void add_child(Value* parent, const Value* child) {
    const uint32_t d = child->depth + 1;
    if (d > parent->depth) {
      if (d > options_.max_depth) {
        fail("values nested deeper than " + std::to_string(options_.max_depth) + " levels");
      }
      parent->depth = d;
    }
  }
  Value* make_int(int64_t v) {
    Value* x = make(Kind::kInt);
    x->integer = v;
    return x;
  }
  Value* make_text(Kind kind, std::string_view s) {
    Value* x = make(kind);
    x->text.assign(s.data(), s.size());
    return x;
  }
  Value* make_seq(Kind kind, std::vector<Value*> items) {
    Value* x = make(kind);
    for (Value* c : items) add_child(x, c);
    x->items = std::move(items);
    return x;
  }

  // ---- dict keys: Python replaces the value of an equal hashable key ----
  // Scalars, short texts and small tuples of them compare by value; anything
  // larger (past kKeyBudget bytes of description) by identity, so that a key
  // reused through the memo costs a bounded amount per SETITEM.
  static constexpr size_t kKeyBudget = 256;
  bool canonical_key(const Value* v, int depth, std::string& out) const {
    if (out.size() > kKeyBudget) return false;
    switch (v->kind) {
      case Kind::kNone:
        out += 'N';
        return true;
      case Kind::kBool:
        out += v->boolean ? "I1;" : "I0;";
        return true;
      case Kind::kInt:
        out += "I" + std::to_string(v->integer) + ";";
        return true;
      case Kind::kFloat: {
        const double r = v->real;
        if (std::isfinite(r) && r == std::floor(r) && std::fabs(r) < 9.0e18) {
          out += "I" + std::to_string(static_cast<int64_t>(r)) + ";";
          return true;
        }
        uint64_t bits;
        std::memcpy(&bits, &r, 8);
        out += "F" + std::to_string(bits) + ";";
        return true;
      }
      case Kind::kStr:
      case Kind::kBytes:
        if (v->text.size() > kKeyBudget) return false;
        out += (v->kind == Kind::kStr ? "S" : "B") + std::to_string(v->text.size()) + ":" + v->text;
        return true;
      case Kind::kTuple:
        if (depth > 4 || v->items.size() > 16) return false;
        out += "T" + std::to_string(v->items.size()) + "(";
        for (const Value* c : v->items) {
          if (!canonical_key(c, depth + 1, out)) return false;
        }
        out += ')';
        return true;
      default:
        return false;
    }
  }
  std::string key_of(const Value* target, const Value* key) const {
    std::string k(reinterpret_cast<const char*>(&target), sizeof(target));
    std::string c;
    if (canonical_key(key, 0, c) && c.size() <= kKeyBudget) return k + "V" + c;
    return k + "P" + std::string(reinterpret_cast<const char*>(&key), sizeof(key));
  }

  void set_item(Value* target, Value* key, Value* value) {
    if (target->kind != Kind::kDict && target->kind != Kind::kObject) {
      fail("SETITEM on " + describe(target));
    }
    add_child(target, key);
    add_child(target, value);
    auto [it, inserted] = key_index_.emplace(key_of(target, key), target->pairs.size());
    if (!inserted) {
      target->pairs[it->second].second = value;
      return;
    }
    target->pairs.emplace_back(key, value);
  }
  void append_items(Value* target, const std::vector<Value*>& items, const char* op) {
    const bool ok = target->kind == Kind::kList || target->kind == Kind::kObject ||
                    (target->kind == Kind::kSet && std::string_view(op) == "ADDITEMS");
    if (!ok) fail(std::string(op) + " on " + describe(target));
    for (Value* c : items) {
      add_child(target, c);
      target->items.push_back(c);
    }
  }

  // ---- memo ----
  void memo_put(uint64_t index) {
    Value* v = top();
    memo_[index] = v;
  }
  Value* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    return it->second;
  }

  // ---- globals ----
  Value* global(std::string module, std::string name) {
    const std::string full = module + "." + name;
    bool allowed = false;
    for (const std::string& a : options_.allowed_globals) {
      if (a == full) {
        allowed = true;
        break;
      }
    }
    if (!allowed) {
      std::string printable = full.size() > 120 ? full.substr(0, 120) + "..." : full;
      for (char& c : printable) {
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
      }
      fail("pickle refers to " + printable + ", which is not allowed");
    }
    Value* g = make(Kind::kGlobal);
    g->text = full;
    return g;
  }
  Value* call(Value* callable, Value* args, Value* kwargs, bool newobj, const char* op) {
    if (callable->kind != Kind::kGlobal)
      fail(std::string(op) + " on " + describe(callable) + ", not a class");
    if (args->kind != Kind::kTuple)
      fail(std::string(op) + " arguments are " + describe(args) + ", not a tuple");
    if (kwargs != nullptr && kwargs->kind != Kind::kDict) {
      fail(std::string(op) + " keyword arguments are " + describe(kwargs) + ", not a dict");
    }
    Value* o = make(Kind::kObject);
    o->text = callable->text;
    o->args = args;
    o->kwargs = kwargs;
    o->newobj = newobj;
    add_child(o, args);
    if (kwargs != nullptr) add_child(o, kwargs);
    return o;
  }

  Value* persistent(Value* pid) {
    if (!options_.persistent_load)
      fail("pickle has a persistent id, which this file type does not use");
    Value* v = nullptr;
    try {
      v = options_.persistent_load(doc_, pid);
    } catch (const std::exception& e) {
      fail(std::string("persistent id: ") + e.what());
    }
    if (v == nullptr) fail("persistent id rejected");
    return v;
  }

  int64_t parse_decimal(std::string_view s, const char* what) {
    int64_t v = 0;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail(std::string("bad ") + what);
    return v;
  }

  Value* long_le(std::string_view bytes) {
    // Two's complement, little-endian, any length; we keep what fits int64.
    const size_t n = bytes.size();
    if (n == 0) return make_int(0);
    const bool negative = (static_cast<uint8_t>(bytes[n - 1]) & 0x80) != 0;
    const uint8_t fill = negative ? 0xff : 0x00;
    for (size_t i = 8; i < n; ++i) {
      if (static_cast<uint8_t>(bytes[i]) != fill) fail("integer does not fit in 64 bits");
    }
    uint64_t u = negative ? ~uint64_t{0} : 0;
    for (size_t i = 0; i < std::min<size_t>(n, 8); ++i) {
      u &= ~(uint64_t{0xff} << (8 * i));
      u |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    }
    if (n > 8 && ((u >> 63) != 0) != negative) fail("integer does not fit in 64 bits");
    int64_t v;
    std::memcpy(&v, &u, 8);
    return make_int(v);
  }

  Value* unicode(std::string_view s) {
    // Strict UTF-8 (surrogates allowed, as Python's 'surrogatepass' writer makes them).
    size_t i = 0;
    while (i < s.size()) {
      const uint8_t c = static_cast<uint8_t>(s[i]);
      size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      if (n == 0 || i + n > s.size()) fail("invalid UTF-8 in a string");
      for (size_t k = 1; k < n; ++k) {
        if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) fail("invalid UTF-8 in a string");
      }
      i += n;
    }
    return make_text(Kind::kStr, s);
  }

  void step(uint8_t op) {
    switch (op) {
      // ---- framing and structure ----
      case 0x80: {  // PROTO
        const uint8_t v = u8();
        if (v > 5) fail("unsupported pickle protocol " + std::to_string(v));
        break;
      }
      case 0x95: {  // FRAME: a length prefix for buffering; the data follows in line
        const uint64_t n = uint_le(8);
        need(n, "FRAME");
        break;
      }
      case '(':
        marks_.push_back(stack_.size());
        break;  // MARK
      case '0':
        pop();
        break;  // POP
      case '1':
        pop_mark();
        break;  // POP_MARK
      case '2':
        push(top());
        break;  // DUP

      // ---- memo ----
      case 'p':
        memo_put(static_cast<uint64_t>(parse_decimal(line(), "PUT index")));
        break;
      case 'q':
        memo_put(u8());
        break;  // BINPUT
      case 'r':
        memo_put(uint_le(4));
        break;  // LONG_BINPUT
      case 0x94:
        memo_put(memo_.size());
        break;  // MEMOIZE
      case 'g':
        push(memo_get(static_cast<uint64_t>(parse_decimal(line(), "GET index"))));
        break;
      case 'h':
        push(memo_get(u8()));
        break;  // BINGET
      case 'j':
        push(memo_get(uint_le(4)));
        break;  // LONG_BINGET

      // ---- scalars ----
      case 'N':
        push(none_);
        break;
      case 0x88:
        push(true_);
        break;  // NEWTRUE
      case 0x89:
        push(false_);
        break;  // NEWFALSE
      case 'K':
        push(make_int(u8()));
        break;  // BININT1
      case 'M':
        push(make_int(static_cast<int64_t>(uint_le(2))));
        break;  // BININT2
      case 'J':
        push(make_int(static_cast<int32_t>(static_cast<uint32_t>(uint_le(4)))));
        break;     // BININT
      case 'I': {  // INT (protocol 0; "00" / "01" are False / True)
        std::string_view s = line();
        if (s == "00")
          push(false_);
        else if (s == "01")
          push(true_);
        else
          push(make_int(parse_decimal(s, "INT")));
        break;
      }
      case 'L': {  // LONG (protocol 0): digits with an optional trailing 'L'
        std::string_view s = line();
        if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
        push(make_int(parse_decimal(s, "LONG")));
        break;
      }
      case 0x8a:
        push(long_le(take(u8(), "LONG1")));
        break;      // LONG1
      case 0x8b: {  // LONG4
        const int32_t n = static_cast<int32_t>(static_cast<uint32_t>(uint_le(4)));
        if (n < 0) fail("negative LONG4 length");
        push(long_le(take(static_cast<uint64_t>(n), "LONG4")));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        need(8, "BINFLOAT");
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | data_[pos_ + i];
        pos_ += 8;
        Value* x = make(Kind::kFloat);
        std::memcpy(&x->real, &u, 8);
        push(x);
        break;
      }
      case 'F': {  // FLOAT (protocol 0)
        std::string_view s = line();
        Value* x = make(Kind::kFloat);
        auto r = std::from_chars(s.data(), s.data() + s.size(), x->real);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail("bad FLOAT");
        push(x);
        break;
      }

      // ---- text and bytes ----
      case 'T': {  // BINSTRING: signed 4-byte length
        const int32_t n = static_cast<int32_t>(static_cast<uint32_t>(uint_le(4)));
        if (n < 0) fail("negative BINSTRING length");
        push(make_text(Kind::kBytes, take(static_cast<uint64_t>(n), "BINSTRING")));
        break;
      }
      case 'U':
        push(make_text(Kind::kBytes, take(u8(), "SHORT_BINSTRING")));
        break;
      case 'B':
        push(make_text(Kind::kBytes, take(uint_le(4), "BINBYTES")));
        break;
      case 'C':
        push(make_text(Kind::kBytes, take(u8(), "SHORT_BINBYTES")));
        break;
      case 0x8e:
        push(make_text(Kind::kBytes, take(uint_le(8), "BINBYTES8")));
        break;
      case 0x96:
        push(make_text(Kind::kBytes, take(uint_le(8), "BYTEARRAY8")));
        break;
      case 'X':
        push(unicode(take(uint_le(4), "BINUNICODE")));
        break;
      case 0x8c:
        push(unicode(take(u8(), "SHORT_BINUNICODE")));
        break;
      case 0x8d:
        push(unicode(take(uint_le(8), "BINUNICODE8")));
        break;

      // ---- containers ----
      case ')':
        push(make(Kind::kTuple));
        break;  // EMPTY_TUPLE
      case 't':
        push(make_seq(Kind::kTuple, pop_mark()));
        break;
      case 0x85: {  // TUPLE1
        Value* a = pop();
        push(make_seq(Kind::kTuple, {a}));
        break;
      }
      case 0x86: {  // TUPLE2
        Value* b = pop();
        Value* a = pop();
        push(make_seq(Kind::kTuple, {a, b}));
        break;
      }
      case 0x87: {  // TUPLE3
        Value* c = pop();
        Value* b = pop();
        Value* a = pop();
        push(make_seq(Kind::kTuple, {a, b, c}));
        break;
      }
      case ']':
        push(make(Kind::kList));
        break;  // EMPTY_LIST
      case 'l':
        push(make_seq(Kind::kList, pop_mark()));
        break;     // LIST
      case 'a': {  // APPEND
        Value* v = pop();
        append_items(top(), {v}, "APPEND");
        break;
      }
      case 'e': {  // APPENDS
        std::vector<Value*> items = pop_mark();
        append_items(top(), items, "APPENDS");
        break;
      }
      case '}':
        push(make(Kind::kDict));
        break;     // EMPTY_DICT
      case 'd': {  // DICT
        std::vector<Value*> items = pop_mark();
        if (items.size() % 2 != 0) fail("DICT with an odd number of items");
        Value* d = make(Kind::kDict);
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        push(d);
        break;
      }
      case 's': {  // SETITEM
        Value* v = pop();
        Value* k = pop();
        set_item(top(), k, v);
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<Value*> items = pop_mark();
        if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
        Value* d = top();
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
        break;
      }
      case 0x8f:
        push(make(Kind::kSet));
        break;      // EMPTY_SET
      case 0x90: {  // ADDITEMS
        std::vector<Value*> items = pop_mark();
        append_items(top(), items, "ADDITEMS");
        break;
      }
      case 0x91:
        push(make_seq(Kind::kFrozenSet, pop_mark()));
        break;  // FROZENSET

      // ---- classes and objects: names and records only ----
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module(line());
        std::string name(line());
        push(global(std::move(module), std::move(name)));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (name->kind != Kind::kStr || module->kind != Kind::kStr)
          fail("STACK_GLOBAL needs two strings");
        push(global(module->text, name->text));
        break;
      }
      case 'R': {  // REDUCE
        Value* args = pop();
        Value* callable = pop();
        push(call(callable, args, nullptr, false, "REDUCE"));
        break;
      }
      case 0x81: {  // NEWOBJ
        Value* args = pop();
        Value* cls = pop();
        push(call(cls, args, nullptr, true, "NEWOBJ"));
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        Value* kwargs = pop();
        Value* args = pop();
        Value* cls = pop();
        push(call(cls, args, kwargs, true, "NEWOBJ_EX"));
        break;
      }
      case 'b': {  // BUILD
        Value* state = pop();
        Value* target = top();
        if (target->kind != Kind::kObject) fail("BUILD on " + describe(target));
        add_child(target, state);
        target->state = state;
        break;
      }
      case 'P': {  // PERSID
        Value* pid = unicode(line());
        push(persistent(pid));
        break;
      }
      case 'Q': {  // BINPERSID
        Value* pid = pop();
        push(persistent(pid));
        break;
      }

      default: {
        static const char* const kNamed[][2] = {{"i", "INST"},
                                                {"o", "OBJ"},
                                                {"S", "STRING"},
                                                {"V", "UNICODE"},
                                                {"\x82", "EXT1"},
                                                {"\x83", "EXT2"},
                                                {"\x84", "EXT4"},
                                                {"\x97", "NEXT_BUFFER"},
                                                {"\x98", "READONLY_BUFFER"}};
        for (const auto& n : kNamed) {
          if (static_cast<uint8_t>(n[0][0]) == op) fail(std::string("unsupported opcode ") + n[1]);
        }
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unknown opcode ") + hex);
      }
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  const Options& options_;
  Document doc_;
  Value* none_;
  Value* true_;
  Value* false_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::unordered_map<std::string, size_t> key_index_;
};

Document parse(const uint8_t* data, size_t size, const Options& options) {
  if (data == nullptr && size != 0) throw PickleError(options.source + ": no data");
  Unpickler u(data, size, options);
  return u.run();
}

Document parse(const std::vector<uint8_t>& data, const Options& options) {
  return parse(data.data(), data.size(), options);
}

}  // namespace intershape::core::formats::pickle
