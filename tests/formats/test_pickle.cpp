#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/formats/array.h"
#include "mano/mano_model.h"
#include "core/formats/numpy_pickle.h"
#include "core/formats/pickle.h"

using namespace intershape::core::formats;
using namespace intershape::mano;
using pickle::Kind;
using pickle::Value;

namespace {

const std::string kCorpus = std::string(INTERSHAPE_TEST_DATA) + "/fuzz/pickle/";

// A string literal with its embedded NULs.
#define S(lit) std::string(lit, sizeof(lit) - 1)

std::vector<uint8_t> bytes_of(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

pickle::Options options_with(std::vector<std::string> globals) {
  pickle::Options o;
  o.source = "test.pkl";
  o.allowed_globals = std::move(globals);
  return o;
}

pickle::Document parse_string(const std::string& s, const pickle::Options& o = options_with({})) {
  return pickle::parse(bytes_of(s), o);
}

std::string error_of(const std::string& s, const pickle::Options& o = options_with({})) {
  try {
    parse_string(s, o);
  } catch (const pickle::PickleError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const Value* pair_value(const Value* dict, const Value* key_like) {
  for (const auto& [k, v] : dict->pairs) {
    if (k == key_like) return v;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("values written by Python at protocols 2 to 5 read back") {
  for (int protocol = 2; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    const auto o = options_with({"_codecs.encode", "__builtin__.set", "__builtin__.frozenset",
                                 "builtins.set", "builtins.frozenset"});
    pickle::Document doc = pickle::parse(
        pickle::read_file_bytes(kCorpus + "values_p" + std::to_string(protocol) + ".pkl"), o);
    const Value* root = doc.root();
    REQUIRE(root->is(Kind::kDict));

    const Value* ints = root->get("ints");
    REQUIRE(ints != nullptr);
    REQUIRE(ints->is(Kind::kList));
    const std::vector<int64_t> want = {0,
                                       1,
                                       -1,
                                       255,
                                       256,
                                       65535,
                                       65536,
                                       -2147483648LL,
                                       2147483647LL,
                                       2147483648LL,
                                       1LL << 40,
                                       INT64_MIN,
                                       INT64_MAX};
    REQUIRE(ints->items.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(ints->items[i]->is(Kind::kInt));
      CHECK(ints->items[i]->integer == want[i]);
    }

    const Value* floats = root->get("floats");
    REQUIRE(floats->is(Kind::kTuple));
    REQUIRE(floats->items.size() == 3);
    CHECK(floats->items[0]->real == 1.5);
    CHECK(floats->items[1]->real == 0.0);
    CHECK(std::signbit(floats->items[1]->real));
    CHECK(floats->items[2]->real == 1e300);

    const Value* consts = root->get("consts");
    REQUIRE(consts->items.size() == 3);
    CHECK(consts->items[0]->is(Kind::kNone));
    CHECK((consts->items[1]->is(Kind::kBool) && consts->items[1]->boolean));
    CHECK((consts->items[2]->is(Kind::kBool) && !consts->items[2]->boolean));

    const Value* b = root->get("bytes");
    if (protocol == 2) {  // bytes are _codecs.encode(str, 'latin1') at protocol 2
      REQUIRE(b->is_object("_codecs.encode"));
      CHECK(b->args->items[0]->text == S("\x00\x01"
                                         "bytes"));
    } else {
      REQUIRE(b->is(Kind::kBytes));
      CHECK(b->text == S("\x00\x01"
                         "bytes"));
    }
    CHECK(root->get("text")->is(Kind::kStr));
    CHECK(root->get("text")->text == "unicod\xc3\xa9 \xe2\x98\x83");

    const Value* set = root->get("set");
    if (protocol >= 4) {
      REQUIRE(set->is(Kind::kSet));
      REQUIRE(set->items.size() == 1);
      CHECK(set->items[0]->integer == 3);
      REQUIRE(root->get("frozen")->is(Kind::kFrozenSet));
      CHECK(root->get("frozen")->items[0]->integer == 4);
    } else {
      CHECK(set->is_object(protocol == 2 ? "__builtin__.set" : "builtins.set"));
      CHECK(set->args->items[0]->items[0]->integer == 3);
    }

    // A tuple key, kept as a pair.
    bool found = false;
    for (const auto& [k, v] : root->pairs) {
      if (k->is(Kind::kTuple) && k->items.size() == 2 && k->items[0]->integer == 1 &&
          k->items[1]->text == "k") {
        CHECK(v->text == "tuple key");
        found = true;
      }
    }
    CHECK(found);

    // The memo makes one list, referenced twice.
    const Value* shared = root->get("shared");
    REQUIRE(shared->items.size() == 2);
    CHECK(shared->items[0] == shared->items[1]);
    CHECK(shared->items[0]->items.size() == 2);

    CHECK(root->get("long")->text == std::string(300, 'x'));
    const Value* empty = root->get("empty");
    CHECK(empty->items[0]->is(Kind::kList));
    CHECK(empty->items[1]->is(Kind::kDict));
    CHECK(empty->items[2]->is(Kind::kTuple));
    CHECK(root->get("missing") == nullptr);
  }
}

TEST_CASE("OrderedDict: REDUCE of an allowed class, then SETITEMS into the object") {
  pickle::Document doc = pickle::parse(pickle::read_file_bytes(kCorpus + "ordered_dict_p2.pkl"),
                                       options_with({"collections.OrderedDict"}));
  const Value* root = doc.root();
  REQUIRE(root->is_object("collections.OrderedDict"));
  REQUIRE(root->pairs.size() == 2);
  CHECK(root->pairs[0].first->text == "w");
  CHECK(root->get("w")->integer == 1);
  CHECK(root->get("b")->items[1]->real == 2.0);
  // Without the class on the allow-list the same file is refused, by name.
  const std::vector<uint8_t> file = pickle::read_file_bytes(kCorpus + "ordered_dict_p2.pkl");
  CHECK(contains(error_of(std::string(file.begin(), file.end())),
                 "collections.OrderedDict, which is not allowed"));
}

TEST_CASE("numpy arrays: C and Fortran order, big-endian, unsigned") {
  const auto o = options_with(mano_pickle_globals());
  auto load = [&](const std::string& name) {
    pickle::Document doc = pickle::parse(pickle::read_file_bytes(kCorpus + name), o);
    return array_from_pickle(doc.root(), name, "array");
  };
  for (const char* name : {"ndarray_f8_p2.pkl", "ndarray_fortran_p2.pkl"}) {
    CAPTURE(name);
    Array a = load(name);
    CHECK(a.dtype == DType::kFloat64);
    CHECK(a.shape_string() == "[2, 3]");
    CHECK(a.to_float() == std::vector<float>{0, 1, 2, 3, 4, 5});
  }
  Array be = load("ndarray_be_f4_p3.pkl");
  CHECK(be.dtype == DType::kFloat32);
  CHECK(be.to_float() == std::vector<float>{0, 1, 2, 3, 4, 5});
  Array u = load("ndarray_u4_p4.pkl");
  CHECK(u.dtype == DType::kInt64);
  CHECK(u.shape_string() == "[1, 2]");
  CHECK(u.to_int64() == std::vector<int64_t>{1, 4294967295LL});
}

TEST_CASE("memo opcodes, frames, cycles") {
  // PROTO 4, FRAME 8, EMPTY_LIST, MEMOIZE, BINGET 0 twice, TUPLE2, STOP.
  pickle::Document doc =
      parse_string(S("\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00]\x94h\x00h\x00\x86."));
  REQUIRE(doc.root()->is(Kind::kTuple));
  CHECK(doc.root()->items[0] == doc.root()->items[1]);
  // LONG_BINPUT / LONG_BINGET: a list that contains itself.
  doc =
      parse_string(S("]r\x10\x00\x00\x00j\x10\x00\x00\x00"
                     "a."));
  REQUIRE(doc.root()->is(Kind::kList));
  CHECK(doc.root()->items[0] == doc.root());
  // Text PUT / GET, DUP, POP.
  doc = parse_string("(I1\nI2\nlp7\n0g7\n2\x86.");
  REQUIRE(doc.root()->items.size() == 2);
  CHECK(doc.root()->items[0]->items[1]->integer == 2);
}

TEST_CASE("protocol 0 scalars") {
  CHECK(parse_string("I42\n.").root()->integer == 42);
  CHECK(parse_string("I-7\n.").root()->integer == -7);
  CHECK(parse_string("I01\n.").root()->boolean);
  CHECK(parse_string("L123L\n.").root()->integer == 123);
  CHECK(parse_string("F2.5\n.").root()->real == 2.5);
  CHECK(parse_string("(I1\nI2\nd.").root()->pairs.size() == 1);
}

TEST_CASE("LONG1 and LONG4") {
  CHECK(parse_string(S("\x8a\x00.")).root()->integer == 0);
  CHECK(parse_string(S("\x8a\x01\xff.")).root()->integer == -1);
  CHECK(parse_string(S("\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff.")).root()->integer == -1);
  CHECK(parse_string(S("\x8b\x02\x00\x00\x00\x00\x01.")).root()->integer == 256);
  CHECK(contains(error_of(S("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.")),
                 "does not fit in 64 bits"));
  CHECK(contains(error_of(S("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80") +
                          S("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.")),
                 "does not fit in 64 bits"));
}

TEST_CASE("dict keys: an equal hashable key replaces the value") {
  pickle::Document doc =
      parse_string(S("(X\x01\x00\x00\x00"
                     "aK\x01X\x01\x00\x00\x00"
                     "aK\x02K\x01K\x03\x88K\x04"
                     "d."));
  const Value* d = doc.root();
  REQUIRE(d->pairs.size() == 2);  // 'a' once; 1 and True are the same key
  CHECK(d->get("a")->integer == 2);
  CHECK(d->pairs[1].first->integer == 1);
  CHECK(d->pairs[1].second->integer == 4);
  (void)pair_value;
  // A long key reused through the memo: one pair, bounded cost per SETITEM.
  std::string big = "}X" + S("\xe8\x03\x00\x00") + std::string(1000, 'k') + S("q\x00K\x01s");
  for (int i = 0; i < 20000; ++i) big += S("h\x00K\x02s");
  doc = parse_string(big + ".");
  REQUIRE(doc.root()->pairs.size() == 1);
  CHECK(doc.root()->pairs[0].second->integer == 2);
}

TEST_CASE("objects: NEWOBJ, NEWOBJ_EX, BUILD, STACK_GLOBAL") {
  const auto o = options_with({"m.C"});
  pickle::Document doc = parse_string(S("\x80\x04\x8c\x01m\x8c\x01"
                                        "C\x93)}\x92}X\x01\x00\x00\x00xK\x05sb."),
                                      o);
  const Value* obj = doc.root();
  REQUIRE(obj->is_object("m.C"));
  CHECK(obj->newobj);
  CHECK(obj->kwargs->is(Kind::kDict));
  CHECK(obj->attr("x")->integer == 5);
  doc = parse_string("cm\nC\nK\x01\x85R.", o);
  CHECK(doc.root()->is_object("m.C"));
  CHECK(!doc.root()->newobj);
  CHECK(doc.root()->args->items[0]->integer == 1);
  CHECK(contains(error_of("K\x01}b."), "BUILD on int"));
  CHECK(contains(error_of("cm\nC\nK\x01R.", o), "REDUCE arguments are int"));
}

TEST_CASE("globals are only names, and only allowed ones") {
  const std::string os_system =
      S("\x80\x02"
        "cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.");
  const std::string e = error_of(os_system, options_with({"numpy.ndarray"}));
  CHECK(contains(e, "test.pkl: byte 2: pickle refers to os.system, which is not allowed"));
  CHECK(contains(error_of("\x80\x04\x8c\x08"
                          "builtins\x8c\x04"
                          "eval\x93."),
                 "builtins.eval, which is not allowed"));
  CHECK(contains(error_of("\x80\x04K\x01\x8c\x04"
                          "eval\x93."),
                 "STACK_GLOBAL needs two strings"));
  // Torch's _load_from_bytes would run torch.load: never on our lists.
  CHECK(contains(error_of("ctorch.storage\n_load_from_bytes\n."),
                 "torch.storage._load_from_bytes, which is not allowed"));
}

TEST_CASE("persistent ids go to the caller's callback") {
  const std::string binpersid = S("\x80\x02(X\x07\x00\x00\x00storageK\x05tQ.");
  CHECK(contains(error_of(binpersid), "persistent id"));
  pickle::Options o = options_with({});
  int calls = 0;
  o.persistent_load = [&](pickle::Document& doc, Value* pid) {
    ++calls;
    if (!pid->is(Kind::kTuple)) throw std::runtime_error("not a tuple");
    Value* v = doc.make(Kind::kPersistent);
    v->args = pid;
    return v;
  };
  pickle::Document doc = parse_string(binpersid, o);
  CHECK(calls == 1);
  REQUIRE(doc.root()->is(Kind::kPersistent));
  CHECK(doc.root()->args->items[0]->text == "storage");
  CHECK(doc.root()->args->items[1]->integer == 5);
  // A rejected id names the file and the reason.
  const std::string e = error_of("K\x01Q.", o);
  CHECK(contains(e, "test.pkl: byte 2: persistent id: not a tuple"));
  // Text PERSID.
  o.persistent_load = [](pickle::Document& doc, Value* pid) {
    Value* v = doc.make(Kind::kPersistent);
    v->args = pid;
    return v;
  };
  CHECK(parse_string("Pabc\n.", o).root()->args->text == "abc");
}

TEST_CASE("malformed input: clear errors with offsets, no large allocations") {
  CHECK(contains(error_of(""), "byte 0: truncated: the pickle ends without STOP"));
  CHECK(contains(error_of("\x80\x02"), "ends without STOP"));
  CHECK(contains(error_of("\x80\x06."), "unsupported pickle protocol 6"));
  CHECK(contains(error_of("."), "stack underflow"));
  CHECK(contains(error_of("a."), "stack underflow"));
  CHECK(contains(error_of("K\x01(0."), "stack underflow"));  // POP may not cross a MARK
  CHECK(contains(error_of("t."), "MARK missing"));
  CHECK(contains(error_of("h\x05."), "memo entry 5 was never stored"));
  CHECK(contains(error_of("\xff."), "unknown opcode 0xff"));
  CHECK(contains(error_of("S'abc'\n."), "unsupported opcode STRING"));
  CHECK(contains(error_of(S("X\x01\x00\x00\x00\xff.")), "invalid UTF-8"));
  CHECK(contains(error_of("K\x01K\x02u."), "MARK missing"));
  CHECK(contains(error_of("}(K\x01u."), "odd number"));
  CHECK(contains(error_of("K\x01(K\x02K\x03u."), "SETITEM on int"));
  CHECK(contains(error_of("K\x01K\x02"
                          "a."),
                 "APPEND on int"));
  // Absurd lengths: refused before anything is allocated.
  CHECK(contains(error_of("T\xff\xff\xff\x7f"
                          "abc."),
                 "byte 0: truncated: BINSTRING needs 2147483647 bytes, 4 left"));
  CHECK(contains(error_of("T\xff\xff\xff\xff."), "negative BINSTRING length"));
  CHECK(contains(error_of(S("\x8e\xff\xff\xff\xff\xff\xff\xff\xff.")),
                 "BINBYTES8 needs 18446744073709551615 bytes"));
  CHECK(contains(error_of(S("\x8d\x00\x00\x00\x00\x00\x00\x00\x01.")), "truncated: BINUNICODE8"));
  CHECK(contains(error_of(S("\x95\x00\x00\x00\x00\x00\x00\x00\x10N.")), "truncated: FRAME"));
  CHECK(contains(error_of(S("\x8b\x00\x00\x00\x80.")), "negative LONG4 length"));
  CHECK(contains(error_of("Q."), "stack underflow"));
  // Deep nesting: a chain of one-element tuples.
  CHECK(contains(error_of("N" + std::string(1000, '\x85') + "."), "nested deeper than 200 levels"));
  CHECK_NOTHROW(parse_string("N" + std::string(150, '\x85') + "."));
  // Many marks and a missing STOP.
  CHECK(contains(error_of(std::string(100000, '(')), "ends without STOP"));
  // The error names the byte of the offending opcode.
  CHECK(contains(error_of("K\x01K\x02\x85\x86\x86."), "byte 6: stack underflow"));
}
