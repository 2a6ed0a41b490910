// finish_spool (sequence_spool.h): the sequence files of a run, built from
// its spool. The one place they are built, so a run finished by `infer
// --resume` after a kill writes what an uninterrupted run over the same
// frames writes, byte for byte.
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "core/exporters/bvh_writer.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/npz_sequence.h"
#include "core/exporters/rig_gltf.h"
#include "core/exporters/sequence_spool.h"
#include "core/formats/atomic_file.h"

namespace intershape::core::exporters {

SpoolOutput finish_spool(const std::string& dir) {
  const std::string path = dir + "/" + kSpoolFileName;
  SpoolOutput out;
  // Two passes over the spool: the rig and the meshes of sequence_frames.glb
  // (built in memory, ~19 KB a frame), then the NPZ (spilled to disk).
  SpoolConfig config;
  std::unique_ptr<GlbSequence> glb_frames;
  std::vector<RigFrame> rig_frames;
  CameraIntrinsics camera{};
  const SpoolContents c = read_spool(
      path,
      [&](const SpoolFrame& f) {
        // Results without a network pass (skeleton mode) have no meshes.
        if (!f.result.has_network) return;
        if (glb_frames) glb_frames->add(f.result.frame->timestamp_s, f.result.output);
        if (config.rig() && f.camera) {
          if (rig_frames.empty()) camera = *f.camera;  // the first frame's decides (one source)
          rig_frames.push_back(place_hands(f.result, *f.camera));
        }
      },
      [&](const SpoolContents& header) {
        config = header.config;
        if (config.glb_frames) glb_frames = std::make_unique<GlbSequence>(config.faces);
      });
  if (!rig_frames.empty()) {
    bool any = false;
    for (const RigFrame& f : rig_frames) any = any || f.hands[0].present || f.hands[1].present;
    if (!any) {
      out.notes.push_back("no hand is present in any frame: no rigged glTF or BVH written");
    } else {
      if (config.rig_glb) {
        out.paths.push_back(dir + "/sequence.glb");
        RigGltfOptions o;
        o.pose_correctives = config.pose_correctives;
        write_rig_glb(out.paths.back(), *config.models, rig_frames, camera, o);
      }
      if (config.bvh) {
        const auto written = write_bvh_files(dir, *config.models, rig_frames);
        out.paths.insert(out.paths.end(), written.begin(), written.end());
      }
    }
  }
  rig_frames = {};
  if (glb_frames && glb_frames->frame_count() > 0) {
    out.paths.push_back(dir + "/sequence_frames.glb");
    glb_frames->write(out.paths.back());
  }
  glb_frames.reset();
  if (config.npz) {
    // The network's arrays go to unnamed temporary files in DIR, not memory:
    // the NPZ of a long run is as large as its spool.
    NpzSequence npz(dir);
    read_spool(path, [&](const SpoolFrame& f) {
      npz.add(f.result, f.detections ? &*f.detections : nullptr);
    });
    if (npz.frame_count() > 0) {
      out.paths.push_back(dir + "/sequence.npz");
      npz.write(out.paths.back());
    }
  }
  if (c.torn_tail)
    out.notes.push_back("the last frame of the interrupted run was cut short and is left out");
  // Every file is written (atomically); only now may the spool go. A kill
  // before this line leaves it, and --resume writes the same files again.
  ::unlink(path.c_str());
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return out;
}

}  // namespace intershape::core::exporters
