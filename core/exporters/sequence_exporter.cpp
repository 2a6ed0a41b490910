#include "core/exporters/sequence_exporter.h"

#include <sstream>
#include <stdexcept>

#include "core/formats/atomic_file.h"
#include "core/exporters/attention_export.h"
#include "core/exporters/bvh_writer.h"
#include "core/exporters/mesh_files.h"
#include "core/exporters/rig_gltf.h"

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
    else if (item == "bvh")
      f.bvh = true;
    else if (item == "glb-frames")
      f.glb_frames = true;
    else if (item == "json")
      f.json = true;
    else if (item == "npz")
      f.npz = true;
    else if (item == "attention")
      f.attention = true;
    else
      throw std::invalid_argument("unknown export format '" + item +
                                  "' (choose from obj,ply,glb,bvh,glb-frames,json,npz,attention)");
  }
  if (!any)
    throw std::invalid_argument(
        "no export format given (choose from obj,ply,glb,bvh,glb-frames,json,npz,attention)");
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
  add(bvh, "bvh");
  add(glb_frames, "glb-frames");
  add(json, "json");
  add(npz, "npz");
  add(attention, "attention");
  return s;
}

SequenceExporter::SequenceExporter(std::string dir, ExportFormats formats,
                                   std::array<std::vector<int32_t>, 2> faces,
                                   std::shared_ptr<const mano::ManoPair> models, RigOptions rig)
    : dir_(std::move(dir)),
      formats_(formats),
      faces_(faces),
      models_(std::move(models)),
      rig_options_(std::move(rig)) {
  // Skeleton mode (no network loaded): only JSON and NPZ have something to hold.
  if (faces_[0].empty() && faces_[1].empty())
    formats_.obj = formats_.ply = formats_.glb = formats_.bvh = formats_.glb_frames =
        formats_.attention = false;
  if ((formats_.glb || formats_.bvh) && !models_)
    throw formats::ExportError("glb/bvh export needs the MANO models, and this estimator has none");
  formats::ensure_directory(dir_);
  SpoolConfig spool;
  spool.npz = formats_.npz;
  spool.glb_frames = formats_.glb_frames;
  spool.rig_glb = formats_.glb;
  spool.bvh = formats_.bvh;
  spool.pose_correctives = rig_options_.pose_correctives;
  if (spool.glb_frames) spool.faces = faces_;
  if (spool.rig()) spool.models = models_;
  if (spool.npz || spool.glb_frames || spool.rig())
    spool_ = std::make_unique<SequenceSpool>(dir_, spool);
}

std::vector<std::string> SequenceExporter::add(const FrameResultPtr& result_ptr) {
  const FrameResult& result = *result_ptr;
  const std::string& name = result.frame->name;
  std::vector<std::string> paths;
  auto append = [&](std::vector<std::string> p) { paths.insert(paths.end(), p.begin(), p.end()); };
  const bool all = formats_.absent_meshes;
  // Results without a network pass (skeleton mode) have no meshes.
  const bool meshes = result.has_network;
  if (formats_.obj && meshes) append(write_demo_meshes(dir_, name, "obj", result.output, faces_, all));
  if (formats_.ply && meshes) append(write_demo_meshes(dir_, name, "ply", result.output, faces_, all));
  if (formats_.json) {
    const std::string path = dir_ + "/" + name + ".json";
    formats::write_file_atomic(path, frame_to_json(result));
    paths.push_back(path);
  }
  if (formats_.attention && meshes) {
    if (!result.network_input)
      throw std::logic_error("attention export needs the network input (EstimateOptions::keep_input)");
    append(write_attention(dir_, name, result.output, *result.network_input));
  }
  const bool rig = (formats_.glb || formats_.bvh) && meshes;
  if (rig && !camera_set_) {
    // The first frame's size decides the camera (one source per run).
    const int w = result.frame->width, h = result.frame->height;
    camera_ = rig_options_.intrinsics_path.empty()
                  ? camera_for_image(w, h, rig_options_.focal_px)
                  : load_intrinsics(rig_options_.intrinsics_path, w, h);
    camera_set_ = true;
  }
  // Every sequence file's frame goes to disk as it comes (a killed run can be
  // finished); those without meshes only the NPZ takes (finish_spool).
  if (spool_ && (meshes || formats_.npz)) spool_->append(result, rig ? &camera_ : nullptr);
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
  if (!spool_) return {};
  spool_->close();
  spool_.reset();
  SpoolOutput out = finish_spool(dir_);
  notes_.insert(notes_.end(), out.notes.begin(), out.notes.end());
  return out.paths;
}

}  // namespace intershape::core::exporters
