#include "core/exporters/sequence_exporter.h"

#include <sstream>
#include <stdexcept>

#include "core/formats/atomic_file.h"
#include "core/exporters/attention_export.h"
#include "core/exporters/mesh_files.h"

namespace intershape::core::exporters {

ExportFormats ExportFormats::parse(const std::string& list) {
  ExportFormats f;
  f.obj = f.json = false;
  std::stringstream ss(list);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    any = true;
    if (item == "obj")
      f.obj = true;
    else if (item == "ply")
      f.ply = true;
    else if (item == "glb")
      f.glb = true;
    else if (item == "json")
      f.json = true;
    else if (item == "npz")
      f.npz = true;
    else if (item == "attention")
      f.attention = true;
    else
      throw std::invalid_argument("unknown export format '" + item +
                                  "' (choose from obj,ply,glb,json,npz,attention)");
  }
  if (!any)
    throw std::invalid_argument(
        "no export format given (choose from obj,ply,glb,json,npz,attention)");
  return f;
}

std::string ExportFormats::to_string() const {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!s.empty()) s += ',';
    s += n;
  };
  add(obj, "obj");
  add(ply, "ply");
  add(glb, "glb");
  add(json, "json");
  add(npz, "npz");
  add(attention, "attention");
  return s;
}

SequenceExporter::SequenceExporter(std::string dir, ExportFormats formats,
                                   std::array<std::vector<int32_t>, 2> faces)
    : dir_(std::move(dir)), formats_(formats), faces_(faces), glb_(std::move(faces)) {
  formats::ensure_directory(dir_);
}

std::vector<std::string> SequenceExporter::add(const FrameResultPtr& result_ptr) {
  const FrameResult& result = *result_ptr;
  const std::string& name = result.frame->name;
  std::vector<std::string> paths;
  auto append = [&](std::vector<std::string> p) { paths.insert(paths.end(), p.begin(), p.end()); };
  if (formats_.obj) append(write_demo_meshes(dir_, name, "obj", result.output, faces_));
  if (formats_.ply) append(write_demo_meshes(dir_, name, "ply", result.output, faces_));
  if (formats_.json) {
    const std::string path = dir_ + "/" + name + ".json";
    formats::write_file_atomic(path, frame_to_json(result));
    paths.push_back(path);
  }
  if (formats_.attention) {
    if (!result.network_input)
      throw std::logic_error("attention export needs the network input (EstimateOptions::keep_input)");
    append(write_attention(dir_, name, result.output, *result.network_input));
  }
  if (formats_.glb) glb_.add(result.frame->timestamp_s, result.output);
  if (formats_.npz) npz_.add(result);
  return paths;
}

EstimateOptions estimate_options_for(const ExportFormats& formats) {
  EstimateOptions o;
  o.stage_details = formats.json;  // the JSON's "stages"
  o.attention_details = formats.attention;
  o.keep_input = formats.attention;  // the maps are drawn over the input
  return o;
}

std::vector<std::string> SequenceExporter::finish() {
  std::vector<std::string> paths;
  if (formats_.glb && glb_.frame_count() > 0) {
    paths.push_back(dir_ + "/sequence.glb");
    glb_.write(paths.back());
  }
  if (formats_.npz && npz_.frame_count() > 0) {
    paths.push_back(dir_ + "/sequence.npz");
    npz_.write(paths.back());
  }
  return paths;
}

}  // namespace intershape::core::exporters
