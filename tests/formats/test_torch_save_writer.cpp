// The torch.save writer without LibTorch: what it writes is read back by our
// own checkpoint reader and pickle VM (PyTorch's torch.load is checked on a
// real training checkpoint in tests/train/test_train_checkpoint.cpp).
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "core/formats/atomic_file.h"
#include "core/formats/checkpoint.h"
#include "core/formats/torch_save_writer.h"

using namespace intershape::core::formats;
namespace fs = std::filesystem;

namespace {

template <typename T>
PyValue make_tensor(DType dtype, std::vector<int64_t> shape, std::vector<T> values) {
  auto bytes = std::make_shared<std::vector<uint8_t>>(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes->data(), values.data(), bytes->size());  // an empty tensor has no data()
  return PyValue::tensor(dtype, std::move(shape), bytes);
}

}  // namespace

TEST_CASE("torch.save writer: a reference-structured checkpoint reads back exactly") {
  PyValue network = PyValue::ordered_dict();
  network.entries.emplace_back(PyValue::str("module.a.weight"),
                               make_tensor<float>(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, -6.5f}));
  network.entries.emplace_back(PyValue::str("module.a.num_batches_tracked"),
                               make_tensor<int64_t>(DType::kInt64, {}, {1234567890123LL}));
  network.entries.emplace_back(PyValue::str("module.b.bias"),
                               make_tensor<float>(DType::kFloat32, {0}, {}));
  PyValue optimizer = PyValue::dict();
  PyValue group = PyValue::dict();
  group.entries.emplace_back(PyValue::str("lr"), PyValue::real(1e-4));
  group.entries.emplace_back(PyValue::str("betas"),
                             PyValue::tuple({PyValue::real(0.9), PyValue::real(0.999)}));
  group.entries.emplace_back(PyValue::str("foreach"), PyValue::none());
  group.entries.emplace_back(PyValue::str("amsgrad"), PyValue::boolean(false));
  group.entries.emplace_back(PyValue::str("params"),
                             PyValue::list({PyValue::integer(0), PyValue::integer(300),
                                            PyValue::integer(-5), PyValue::integer(1LL << 40)}));
  optimizer.entries.emplace_back(PyValue::str("param_groups"), PyValue::list({group}));
  PyValue root = PyValue::dict();
  root.entries.emplace_back(PyValue::str("epoch"), PyValue::integer(7));
  root.entries.emplace_back(PyValue::str("network"), network);
  root.entries.emplace_back(PyValue::str("optimizer"), optimizer);

  const fs::path dir = fs::temp_directory_path() / ("intershape_tsw_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "c.pth").string();
  write_torch_save(path, root);

  auto ck = Checkpoint::open(path);
  REQUIRE(ck->tensors().size() == 3);
  CHECK(ck->tensors()[0].key == "a.weight");  // `module.` stripped by the reader
  CHECK(ck->tensors()[1].key == "a.num_batches_tracked");
  CHECK(ck->tensors()[2].key == "b.bias");
  Array w = ck->read(ck->tensors()[0]);
  CHECK(w.shape == std::vector<int64_t>{2, 3});
  CHECK(w.to_float() == std::vector<float>{1, 2, 3, 4, 5, -6.5f});
  Array n = ck->read(ck->tensors()[1]);
  CHECK(n.dtype == DType::kInt64);
  CHECK(n.to_int64() == std::vector<int64_t>{1234567890123LL});
  CHECK(ck->read(ck->tensors()[2]).numel() == 0);

  // Atomic: nothing but the file in the folder; a bad destination is named.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  CHECK_THROWS_AS(write_torch_save((dir / "no_such_dir" / "x.pth").string(), root), ExportError);

  // A tensor whose data does not match its shape is refused, naming the file.
  PyValue bad = PyValue::dict();
  bad.entries.emplace_back(PyValue::str("t"), make_tensor<float>(DType::kFloat32, {3}, {1, 2}));
  CHECK_THROWS_WITH_AS(write_torch_save((dir / "bad.pth").string(), bad),
                       doctest::Contains("bad.pth"), ExportError);
  fs::remove_all(dir);
}
