#include "core/eval/records.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/formats/atomic_file.h"
#include "core/formats/file_io.h"

namespace intershape::core::eval {
namespace {

constexpr char kMagic[8] = {'I', 'S', 'E', 'V', 'A', 'L', '1', '\n'};

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void put_floats(std::string& out, const float* v, size_t n) {
  out.append(reinterpret_cast<const char*>(v), n * sizeof(float));
}

struct Reader {
  const std::string& data;
  const std::string& path;
  size_t pos = 0;
  void take(void* dst, size_t n) {
    if (n > data.size() - pos)
      throw std::runtime_error(path + ": partial-results chunk is truncated (" +
                               std::to_string(data.size()) + " bytes)");
    std::memcpy(dst, data.data() + pos, n);
    pos += n;
  }
  template <typename T>
  T get() {
    T v;
    take(&v, sizeof(T));
    return v;
  }
};

}  // namespace

int64_t RunInfo::selected_count() const {
  const int64_t n = limit > 0 ? std::min(limit, list_size) : list_size;
  int64_t c = 0;
  for (int64_t i = shard_index; i < n; i += shard_count) ++c;
  return c;
}

std::string run_info_json(const RunInfo& info) {
  nlohmann::json j = {{"split", info.split},
                      {"list_size", info.list_size},
                      {"fingerprint", info.fingerprint},
                      {"limit", info.limit},
                      {"shard_index", info.shard_index},
                      {"shard_count", info.shard_count},
                      {"model", info.model}};
  return j.dump(2) + "\n";
}

RunInfo read_run_info(const std::string& dir) {
  const std::string path = dir + "/run.json";
  std::string text;
  try {
    text = core::formats::read_file_text(path, 1 << 20);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read (" + e.what() +
                             "); is this the output folder of `intershape eval`?");
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    RunInfo info;
    info.split = j.at("split").get<std::string>();
    info.list_size = j.at("list_size").get<int64_t>();
    info.fingerprint = j.at("fingerprint").get<std::string>();
    info.limit = j.at("limit").get<int64_t>();
    info.shard_index = j.at("shard_index").get<int>();
    info.shard_count = j.at("shard_count").get<int>();
    info.model = j.value("model", "");
    return info;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a valid run description: " + e.what());
  }
}

void write_run_info(const std::string& dir, const RunInfo& info) {
  core::formats::ensure_directory(dir);
  core::formats::write_file_atomic(dir + "/run.json", run_info_json(info));
}

void write_chunk(const std::string& dir, const std::vector<SampleRecord>& records) {
  if (records.empty()) return;
  std::string out(kMagic, sizeof(kMagic));
  put<uint32_t>(out, static_cast<uint32_t>(records.size()));
  for (const SampleRecord& r : records) {
    put(out, r.index);
    put(out, r.capture);
    put(out, r.camera);
    put(out, r.frame);
    put<uint32_t>(out, static_cast<uint32_t>(r.seq_name.size()));
    out += r.seq_name;
    put_floats(out, r.joints.data(), r.joints.size());
    put<uint32_t>(out, static_cast<uint32_t>(r.vertices.size()));
    put_floats(out, r.vertices.data(), r.vertices.size());
    put_floats(out, r.trans.data(), r.trans.size());
    put_floats(out, r.gt_joints.data(), r.gt_joints.size());
    put_floats(out, r.joint_valid.data(), r.joint_valid.size());
    put_floats(out, r.mano_valid.data(), r.mano_valid.size());
    put_floats(out, r.score.aligned.data(), r.score.aligned.size());
    put_floats(out, r.score.joint_error.data(), r.score.joint_error.size());
    put(out, r.score.vertex_error_sum[0]);
    put(out, r.score.vertex_error_sum[1]);
    put(out, r.score.hand_counted[0]);
    put(out, r.score.hand_counted[1]);
  }
  const std::string partial = dir + "/partial";
  core::formats::ensure_directory(partial);
  char name[64];
  std::snprintf(name, sizeof(name), "/chunk_%010lld.bin",
                static_cast<long long>(records.front().index));
  core::formats::write_file_atomic(partial + name, out);
}

std::vector<std::string> chunk_files(const std::string& dir) {
  std::vector<std::string> files;
  const std::filesystem::path partial = std::filesystem::path(dir) / "partial";
  std::error_code ec;
  if (!std::filesystem::is_directory(partial, ec)) return files;
  for (const auto& e : std::filesystem::directory_iterator(partial)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("chunk_", 0) == 0 && e.path().extension() == ".bin")
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<SampleRecord> read_chunk(const std::string& path, bool with_vertices) {
  std::vector<SampleRecord> all;
  const std::string data = core::formats::read_file_text(path);
  Reader rd{data, path};
  char magic[8];
  rd.take(magic, 8);
  if (std::memcmp(magic, kMagic, 8) != 0)
    throw std::runtime_error(path + ": not a partial-results chunk of intershape eval");
  const uint32_t count = rd.get<uint32_t>();
  if (count > data.size()) throw std::runtime_error(path + ": damaged chunk (count)");
  all.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    SampleRecord r;
    r.index = rd.get<int64_t>();
    r.capture = rd.get<int32_t>();
    r.camera = rd.get<int32_t>();
    r.frame = rd.get<int32_t>();
    const uint32_t len = rd.get<uint32_t>();
    if (len > 4096) throw std::runtime_error(path + ": damaged chunk (sequence name length)");
    r.seq_name.resize(len);
    rd.take(r.seq_name.data(), len);
    rd.take(r.joints.data(), sizeof(r.joints));
    const uint32_t nv = rd.get<uint32_t>();
    if (nv != 2 * kHandVerts * 3) throw std::runtime_error(path + ": damaged chunk (vertices)");
    if (with_vertices) {
      r.vertices.resize(nv);
      rd.take(r.vertices.data(), nv * sizeof(float));
    } else {
      if (nv * sizeof(float) > data.size() - rd.pos)
        throw std::runtime_error(path + ": partial-results chunk is truncated");
      rd.pos += nv * sizeof(float);
    }
    rd.take(r.trans.data(), sizeof(r.trans));
    rd.take(r.gt_joints.data(), sizeof(r.gt_joints));
    rd.take(r.joint_valid.data(), sizeof(r.joint_valid));
    rd.take(r.mano_valid.data(), sizeof(r.mano_valid));
    rd.take(r.score.aligned.data(), sizeof(r.score.aligned));
    rd.take(r.score.joint_error.data(), sizeof(r.score.joint_error));
    r.score.vertex_error_sum[0] = rd.get<double>();
    r.score.vertex_error_sum[1] = rd.get<double>();
    r.score.hand_counted[0] = rd.get<uint8_t>();
    r.score.hand_counted[1] = rd.get<uint8_t>();
    all.push_back(std::move(r));
  }
  if (rd.pos != data.size()) throw std::runtime_error(path + ": damaged chunk (trailing bytes)");
  return all;
}

std::vector<SampleRecord> read_chunks(const std::string& dir, bool with_vertices) {
  std::vector<SampleRecord> all;
  for (const std::string& path : chunk_files(dir)) {
    std::vector<SampleRecord> part = read_chunk(path, with_vertices);
    for (SampleRecord& r : part) all.push_back(std::move(r));
  }
  return all;
}

}  // namespace intershape::core::eval
