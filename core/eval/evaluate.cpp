#include "core/eval/evaluate.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/formats/atomic_file.h"
#include "core/formats/npz_writer.h"

namespace intershape::core::eval {
namespace {

using SteadyClock = std::chrono::steady_clock;
double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Camera ids are numbers in the release ("410089"); anything else keeps -1
// in the records and is hashed by its characters in the fingerprint.
int64_t camera_number(const std::string& camera) {
  if (camera.empty() || camera.size() > 18 ||
      camera.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(camera);
}

std::string fingerprint_of(const Annotations& a, const std::vector<EvalSample>& list) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(list.size());
  for (const EvalSample& e : list) {
    const Sample& s = a.samples[e.ann];
    mix(static_cast<uint64_t>(s.capture));
    mix(static_cast<uint64_t>(camera_number(s.camera)));
    for (char c : s.camera) mix(static_cast<uint8_t>(c));
    mix(static_cast<uint64_t>(s.frame));
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string image_path(const PreparedDataset& d, const Sample& s) {
  return d.annotations.image_dir + "/" + s.file_name;
}

}  // namespace

PreparedDataset prepare_dataset(const std::string& dataset_dir, const std::string& split,
                                const GroundTruthMano& mano, const std::string& fallback_dir,
                                std::ostream& log) {
  const auto t0 = SteadyClock::now();
  PreparedDataset d;
  d.dataset_dir = dataset_dir;
  d.annotations = load_annotations(dataset_dir, split);
  d.list = build_eval_list(d.annotations);
  d.fingerprint = fingerprint_of(d.annotations, d.list);
  log << "Loaded " << d.annotations.samples.size() << " annotations of " << split << " in "
      << seconds_since(t0) << " s; " << d.list.size()
      << " interacting-hand samples with a MANO fit are evaluated\n";

  // Ground-truth world joints: the reference's cache, extended where missing.
  const std::string cache_path = annotation_file(dataset_dir, split, "MANO_joints");
  JointsCache cache(d.annotations.fit_captures);
  std::error_code ec;
  if (std::filesystem::is_regular_file(cache_path, ec)) {
    cache = JointsCache::read(cache_path);
    d.cache_path = cache_path;
  }
  // Missing frames in first-use order (the reference appends them so).
  std::vector<const Sample*> missing;
  std::unordered_set<uint64_t> seen;
  for (const EvalSample& e : d.list) {
    const Sample& s = d.annotations.samples[e.ann];
    if (cache.find(s.capture, s.frame)) continue;
    if (seen.insert(frame_key(s.capture, s.frame)).second) missing.push_back(&s);
  }
  if (!missing.empty()) {
    constexpr size_t kChunk = 512;
    std::vector<float> joints(kChunk * 21 * 3);
    for (size_t start = 0; start < missing.size(); start += kChunk) {
      const size_t n = std::min(kChunk, missing.size() - start);
      std::vector<WorldJoints> world(n, WorldJoints{});
      for (int h = 0; h < 2; ++h) {
        std::vector<const ManoFit*> fits;
        std::vector<size_t> which;
        for (size_t i = 0; i < n; ++i) {
          const FrameFits* ff = d.annotations.fits_of(*missing[start + i]);
          if (ff && ff->hands[h]) {
            fits.push_back(&*ff->hands[h]);
            which.push_back(i);
          }
        }
        mano.forward(h, fits, joints.data(), nullptr);
        for (size_t k = 0; k < which.size(); ++k)
          std::copy(joints.begin() + static_cast<long>(k * 63),
                    joints.begin() + static_cast<long>((k + 1) * 63),
                    world[which[k]].begin() + h * 63);
      }
      for (size_t i = 0; i < n; ++i)
        cache.add(missing[start + i]->capture, missing[start + i]->frame, world[i]);
    }
    const std::string text = cache.to_json();
    try {
      core::formats::write_file_atomic(cache_path, text);
      d.cache_path = cache_path;
    } catch (const std::exception& e) {
      const std::string alt =
          fallback_dir + "/" + std::filesystem::path(cache_path).filename().string();
      core::formats::ensure_directory(fallback_dir);
      core::formats::write_file_atomic(alt, text);
      d.cache_path = alt;
      log << "note: cannot write the joints cache beside the annotations (" << e.what()
          << "); wrote " << alt << "\n";
    }
    d.cache_written = true;
    log << "update " << std::filesystem::path(cache_path).filename().string() << " ("
        << missing.size() << " frames computed)\n";
  }
  d.world_joints.resize(d.list.size());
  for (size_t i = 0; i < d.list.size(); ++i) {
    const Sample& s = d.annotations.samples[d.list[i].ann];
    d.world_joints[i] = *cache.find(s.capture, s.frame);
  }
  d.load_seconds = seconds_since(t0);
  return d;
}

// ---------------------------------------------------------------------------
// Decode + crop ahead of the network: workers take list positions in order and
// fill slots; at most `window` crops wait (bounded memory).

namespace {

class Prefetcher {
 public:
  struct Item {
    std::vector<float> chw;
    std::string error;
  };

  Prefetcher(const PreparedDataset& d, const std::vector<int64_t>& todo, int workers, size_t window)
      : d_(d), todo_(todo), window_(window) {
    for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { work(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // The crop of todo[k]; blocks until it is ready. Call with k = 0, 1, 2, ...
  Item take(size_t k, double& waited) {
    std::unique_lock<std::mutex> lock(mu_);
    const auto t0 = SteadyClock::now();
    cv_.wait(lock, [&] { return ready_.count(k) != 0; });
    waited += seconds_since(t0);
    Item item = std::move(ready_[k]);
    ready_.erase(k);
    consumed_ = k + 1;
    cv_.notify_all();
    return item;
  }

 private:
  void work() {
    for (;;) {
      size_t k;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || (next_ < todo_.size() && next_ < consumed_ + window_); });
        if (stop_ || next_ >= todo_.size()) return;
        k = next_++;
      }
      Item item;
      const EvalSample& e = d_.list[static_cast<size_t>(todo_[k])];
      const Sample& s = d_.annotations.samples[e.ann];
      const std::string path = image_path(d_, s);
      try {
        cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
        if (bgr.empty()) {
          item.error = path + ": cannot read or decode the image (annotation " +
                       std::to_string(s.ann_id) + ")";
        } else {
          item.chw.resize(3 * kCrop * kCrop);
          crop_input(bgr, e.bbox_processed, item.chw.data());
        }
      } catch (const std::exception& ex) {
        item.error = path + ": " + ex.what();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_[k] = std::move(item);
      }
      cv_.notify_all();
    }
  }

  const PreparedDataset& d_;
  const std::vector<int64_t>& todo_;
  const size_t window_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<size_t, Item> ready_;
  size_t next_ = 0, consumed_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof(buf), "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

void draw_progress(int64_t done, int64_t total, double elapsed) {
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double left = rate > 0 ? static_cast<double>(total - done) / rate : -1;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %lld/%lld images  %.1f img/s  left %s   ", bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total), rate,
               format_duration(left).c_str());
  std::fflush(stderr);
}

}  // namespace

EvalSummary run_evaluation(const PreparedDataset& d, const GroundTruthMano& mano,
                           const NetworkFn& network, const EvalOptions& o, std::ostream& log) {
  if (o.batch < 1) throw std::invalid_argument("eval: --batch must be at least 1");
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw std::invalid_argument("eval: --shard I/N needs 0 <= I < N");
  EvalSummary summary;
  RunInfo info;
  info.split = d.annotations.split;
  info.list_size = static_cast<int64_t>(d.list.size());
  info.fingerprint = d.fingerprint;
  info.limit = o.limit;
  info.shard_index = o.shard_index;
  info.shard_count = o.shard_count;
  info.model = o.model_description;

  // Resume: the folder must describe the same run.
  std::set<int64_t> done;
  std::error_code ec;
  const bool has_partial = std::filesystem::exists(o.output_dir + "/partial", ec);
  if (has_partial && !o.resume)
    throw std::runtime_error(o.output_dir +
                             " holds partial results of an earlier run: add --resume to continue "
                             "it, or choose another --output");
  if (o.resume && std::filesystem::exists(o.output_dir + "/run.json", ec)) {
    const RunInfo old = read_run_info(o.output_dir);
    if (old.fingerprint != info.fingerprint || old.list_size != info.list_size ||
        old.limit != info.limit || old.shard_index != info.shard_index ||
        old.shard_count != info.shard_count || old.split != info.split)
      throw std::runtime_error(o.output_dir +
                               "/run.json describes another run (split, list, --limit or --shard "
                               "differ); cannot resume it with these options");
    for (const SampleRecord& r : read_chunks(o.output_dir, false)) done.insert(r.index);
    summary.resumed = static_cast<int64_t>(done.size());
    log << "Resuming: " << done.size() << " samples already evaluated in " << o.output_dir << "\n";
  }
  write_run_info(o.output_dir, info);

  // The samples to run, with the up-front checks (camera, image present).
  std::vector<int64_t> todo;
  std::vector<std::string> missing_images;
  for (int64_t i = 0; i < info.list_size; ++i) {
    if (!info.selects(i) || done.count(i)) continue;
    const Sample& s = d.annotations.samples[d.list[static_cast<size_t>(i)].ann];
    d.annotations.camera_of(s);  // throws naming the camera file and the entry
    const std::string path = image_path(d, s);
    if (!std::filesystem::is_regular_file(path, ec)) {
      if (!o.skip_missing)
        throw DatasetError(path + ": image missing (annotation " + std::to_string(s.ann_id) +
                           " in " + d.annotations.data_path() +
                           "); --skip-missing skips such samples and reports them");
      missing_images.push_back(path);
      continue;
    }
    todo.push_back(i);
  }
  summary.skipped_missing = static_cast<int64_t>(missing_images.size());
  if (!missing_images.empty())
    log << "Skipping " << missing_images.size() << " samples whose image is missing (first: "
        << missing_images.front() << ")\n";

  const auto t0 = SteadyClock::now();
  std::vector<SampleRecord> pending;
  {
    Prefetcher prefetch(d, todo, o.workers, static_cast<size_t>(std::max(2 * o.batch, 8)));
    std::vector<float> input;
    std::vector<float> gt_j(static_cast<size_t>(o.batch) * 63),
        gt_v(static_cast<size_t>(o.batch) * kHandVerts * 3);
    for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(o.batch)) {
      const size_t n = std::min(static_cast<size_t>(o.batch), todo.size() - start);
      input.resize(n * 3 * kCrop * kCrop);
      for (size_t k = 0; k < n; ++k) {
        Prefetcher::Item item = prefetch.take(start + k, summary.data_wait_seconds);
        if (!item.error.empty()) throw DatasetError(item.error);
        std::copy(item.chw.begin(), item.chw.end(), input.begin() + static_cast<long>(k * item.chw.size()));
      }
      const std::vector<NetworkOutput> out = network(input.data(), static_cast<int>(n));
      if (out.size() != n) throw std::runtime_error("eval: the network returned a wrong batch size");

      // Ground-truth vertices of the batch's hands with a fit (camera mm).
      std::vector<std::array<std::vector<float>, 2>> gt_verts(n);
      for (int h = 0; h < 2; ++h) {
        std::vector<const ManoFit*> fits;
        std::vector<size_t> which;
        for (size_t k = 0; k < n; ++k) {
          const EvalSample& e = d.list[static_cast<size_t>(todo[start + k])];
          const FrameFits* ff = d.annotations.fits_of(d.annotations.samples[e.ann]);
          if (e.mano_valid[h] != 0.f && ff && ff->hands[h]) {
            fits.push_back(&*ff->hands[h]);
            which.push_back(k);
          }
        }
        mano.forward(h, fits, gt_j.data(), gt_v.data());
        for (size_t q = 0; q < which.size(); ++q) {
          const EvalSample& e = d.list[static_cast<size_t>(todo[start + which[q]])];
          const Camera& cam = d.annotations.camera_of(d.annotations.samples[e.ann]);
          std::vector<float>& v = gt_verts[which[q]][h];
          v.resize(kHandVerts * 3);
          world_to_camera(cam, gt_v.data() + q * kHandVerts * 3, v.data(), kHandVerts);
        }
      }

      for (size_t k = 0; k < n; ++k) {
        const int64_t index = todo[start + k];
        const EvalSample& e = d.list[static_cast<size_t>(index)];
        const Sample& s = d.annotations.samples[e.ann];
        SampleRecord r;
        r.index = index;
        r.capture = s.capture;
        r.camera = static_cast<int32_t>(camera_number(s.camera));
        r.frame = s.frame;
        r.seq_name = s.seq_name;
        const NetworkOutput& no = out[k];
        for (int h = 0; h < 2; ++h) {
          if (no.hands[h].joints3d.size() != kHandJoints * 3 ||
              no.hands[h].verts3d.size() != kHandVerts * 3)
            throw std::runtime_error("eval: the network output has unexpected sizes");
          std::copy(no.hands[h].joints3d.begin(), no.hands[h].joints3d.end(),
                    r.joints.begin() + h * kHandJoints * 3);
        }
        r.vertices = no.hands[0].verts3d;
        r.vertices.insert(r.vertices.end(), no.hands[1].verts3d.begin(), no.hands[1].verts3d.end());
        r.trans = no.trans;
        world_to_camera(d.annotations.camera_of(s), d.world_joints[static_cast<size_t>(index)].data(),
                        r.gt_joints.data(), kJoints);
        r.joint_valid = e.joint_valid;
        r.mano_valid = e.mano_valid;
        const std::array<const float*, 2> gv = {
            gt_verts[k][0].empty() ? nullptr : gt_verts[k][0].data(),
            gt_verts[k][1].empty() ? nullptr : gt_verts[k][1].data()};
        r.score = score_sample(r.joints.data(), r.vertices.data(), r.gt_joints.data(),
                               r.joint_valid, r.mano_valid, gv);
        pending.push_back(std::move(r));
      }
      summary.evaluated_now += static_cast<int64_t>(n);
      if (pending.size() >= static_cast<size_t>(std::max(1, o.chunk_samples))) {
        write_chunk(o.output_dir, pending);
        pending.clear();
      }
      if (o.progress)
        draw_progress(summary.evaluated_now, static_cast<int64_t>(todo.size()), seconds_since(t0));
    }
  }
  write_chunk(o.output_dir, pending);
  if (o.progress && !todo.empty()) std::fprintf(stderr, "\n");
  summary.seconds = seconds_since(t0);
  summary.images_per_second =
      summary.seconds > 0 ? static_cast<double>(summary.evaluated_now) / summary.seconds : 0;

  nlohmann::json extra = {{"split", info.split},
                          {"list_size", info.list_size},
                          {"limit", info.limit},
                          {"shard", std::to_string(info.shard_index) + "/" +
                                        std::to_string(info.shard_count)},
                          {"model", info.model},
                          {"skipped_missing_images", summary.skipped_missing}};
  summary.metrics = write_outputs(o.output_dir, extra);
  return summary;
}

Metrics merge_runs(const std::vector<std::string>& dirs, const std::string& output_dir,
                   std::ostream& log) {
  if (dirs.empty()) throw std::invalid_argument("eval --merge: no folders given");
  std::vector<RunInfo> infos;
  for (const std::string& dir : dirs) infos.push_back(read_run_info(dir));
  const RunInfo& first = infos.front();
  std::set<int> shards;
  for (size_t i = 0; i < dirs.size(); ++i) {
    const RunInfo& info = infos[i];
    if (info.fingerprint != first.fingerprint || info.list_size != first.list_size ||
        info.split != first.split || info.limit != first.limit ||
        info.shard_count != first.shard_count)
      throw std::runtime_error("eval --merge: " + dirs[i] + " evaluates another list than " +
                               dirs[0] + " (split, list, --limit or shard count differ)");
    if (!shards.insert(info.shard_index).second)
      throw std::runtime_error("eval --merge: shard " + std::to_string(info.shard_index) + "/" +
                               std::to_string(info.shard_count) + " is given twice (" + dirs[i] +
                               ")");
  }
  if (std::filesystem::exists(output_dir + "/partial"))
    throw std::runtime_error("eval --merge: " + output_dir +
                             " already holds partial results; choose an empty --output");
  // Indices and where they are: (index, folder, chunk file).
  struct Where {
    size_t dir;
    std::string chunk;
  };
  std::map<int64_t, Where> where;
  for (size_t i = 0; i < dirs.size(); ++i) {
    int64_t have = 0;
    for (const std::string& chunk : chunk_files(dirs[i]))
      for (const SampleRecord& r : read_chunk(chunk, false)) {
        if (!infos[i].selects(r.index))
          throw std::runtime_error(chunk + ": holds sample " + std::to_string(r.index) +
                                   " which its shard does not select");
        ++have;
        where.emplace(r.index, Where{i, chunk});
      }
    if (have != infos[i].selected_count())
      log << "warning: " << dirs[i] << " (shard " << infos[i].shard_index << "/"
          << infos[i].shard_count << ") has " << have << " of " << infos[i].selected_count()
          << " samples (incomplete, or images skipped); rerun it with --resume\n";
  }
  if (static_cast<int>(shards.size()) != first.shard_count)
    log << "warning: " << shards.size() << " of " << first.shard_count
        << " shards given; the metrics cover those only\n";
  // The merged folder is a run folder itself (run.json + chunks in index
  // order): outputs are written from it like from any run, and it can be
  // inspected or merged again. Chunk files are read again as needed (one
  // cached at a time), so memory stays bounded.
  RunInfo merged = first;
  merged.shard_index = 0;
  merged.shard_count = 1;
  write_run_info(output_dir, merged);
  std::string cached_path;
  std::vector<SampleRecord> cached;
  std::vector<SampleRecord> out;
  for (const auto& [index, w] : where) {
    if (w.chunk != cached_path) {
      cached = read_chunk(w.chunk, true);
      cached_path = w.chunk;
    }
    for (SampleRecord& r : cached)
      if (r.index == index) {
        out.push_back(r);
        break;
      }
    if (out.size() >= 256) {
      write_chunk(output_dir, out);
      out.clear();
    }
  }
  write_chunk(output_dir, out);
  nlohmann::json extra = {{"split", first.split},
                          {"list_size", first.list_size},
                          {"limit", first.limit},
                          {"merged_from", dirs},
                          {"model", first.model}};
  return write_outputs(output_dir, extra);
}

// ---------------------------------------------------------------------------

namespace {

nlohmann::json num(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

void draw_pck_png(const std::string& path, const Metrics& m) {
  const int W = 640, H = 480, left = 70, right = 20, top = 20, bottom = 60;
  cv::Mat img(H, W, CV_8UC3, cv::Scalar(255, 255, 255));
  const int pw = W - left - right, ph = H - top - bottom;
  auto px = [&](double t) { return left + static_cast<int>(std::lround(t / 50.0 * pw)); };
  auto py = [&](double v) { return top + static_cast<int>(std::lround((1.0 - v) * ph)); };
  for (int i = 0; i <= 5; ++i) {
    const double v = i / 5.0;
    cv::line(img, {left, py(v)}, {left + pw, py(v)}, cv::Scalar(230, 230, 230), 1);
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.1f", v);
    cv::putText(img, buf, {left - 40, py(v) + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  for (int t = 0; t <= 50; t += 10) {
    cv::line(img, {px(t), top}, {px(t), top + ph}, cv::Scalar(230, 230, 230), 1);
    cv::putText(img, std::to_string(t), {px(t) - 8, top + ph + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  cv::rectangle(img, {left, top}, {left + pw, top + ph}, cv::Scalar(0, 0, 0), 1);
  std::vector<cv::Point> pts;
  for (size_t i = 0; i < m.thresholds_0_50.size(); ++i)
    if (std::isfinite(m.pck_curve_0_50[i])) pts.emplace_back(px(m.thresholds_0_50[i]), py(m.pck_curve_0_50[i]));
  if (pts.size() > 1) cv::polylines(img, pts, false, cv::Scalar(180, 119, 31), 2, cv::LINE_AA);
  cv::putText(img, "threshold in mm", {left + pw / 2 - 60, H - 15}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  cv::putText(img, "PCK", {8, top + ph / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  char label[64];
  std::snprintf(label, sizeof(label), "Ours (AUC=%.3f)", m.auc_0_50);
  cv::putText(img, label, {left + pw - 190, top + ph - 15}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(180, 119, 31), 1, cv::LINE_AA);
  std::vector<uchar> png;
  cv::imencode(".png", img, png);
  core::formats::write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

std::string fmt(double v, int digits = 4) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

Metrics write_outputs(const std::string& dir, const nlohmann::json& run_extra) {
  std::vector<SampleRecord> records = read_chunks(dir, false);
  const bool ordered = std::is_sorted(
      records.begin(), records.end(),
      [](const SampleRecord& a, const SampleRecord& b) { return a.index < b.index; });
  std::sort(records.begin(), records.end(),
            [](const SampleRecord& a, const SampleRecord& b) { return a.index < b.index; });
  std::vector<const SampleScore*> scores;
  for (const SampleRecord& r : records) scores.push_back(&r.score);
  const Metrics m = compute_metrics(scores);
  core::formats::ensure_directory(dir);

  // metrics.json: the fixture's names and meaning, plus what this run was.
  nlohmann::json j;
  j["mpjpe_per_joint"] = nlohmann::json::array();
  for (double v : m.mpjpe_per_joint) j["mpjpe_per_joint"].push_back(num(v));
  j["mpjpe"] = num(m.mpjpe);
  j["mpvpe"] = num(m.mpvpe);
  j["auc_0_50"] = num(m.auc_0_50);
  j["epe_mean_0_50_call"] = num(m.epe_mean);
  j["epe_median_0_50_call"] = num(m.epe_median);
  j["joint_names"] = joint_names();
  j["mpjpe_valid_counts"] = m.mpjpe_valid_counts;
  j["mpvpe_hands_counted"] = m.mpvpe_hands_counted;
  j["pck_curve_0_50"] = nlohmann::json::array();
  for (double v : m.pck_curve_0_50) j["pck_curve_0_50"].push_back(num(v));
  j["thresholds_0_50"] = m.thresholds_0_50;
  j["eval_3dpck"] = {{"epe_mean", num(m.epe_mean)},
                     {"epe_median", num(m.epe_median)},
                     {"auc_0_100", num(m.auc_0_100)},
                     {"auc_20_50", num(m.auc_20_50)},
                     {"auc_0_30", num(m.auc_0_30)}};
  j["samples"] = m.samples;
  j["extras"] = {{"mpjpe_over_valid_instances", num(m.mpjpe_over_valid_instances)},
                 {"note",
                  "not the reference's figures: mpjpe_over_valid_instances is the mean over all "
                  "valid (sample, joint) pairs, where mpjpe is the mean of the 42 per-joint means"}};
  j["run"] = run_extra;
  core::formats::write_file_atomic(dir + "/metrics.json", j.dump(2) + "\n");

  // PCK curve.
  std::string csv = "threshold_mm,pck\n";
  for (size_t i = 0; i < m.thresholds_0_50.size(); ++i)
    csv += fmt(m.thresholds_0_50[i], 6) + "," + fmt(m.pck_curve_0_50[i], 6) + "\n";
  core::formats::write_file_atomic(dir + "/pck.csv", csv);
  draw_pck_png(dir + "/pck.png", m);

  // Per joint.
  std::string pj = "joint,name,mpjpe_mm,valid_samples\n";
  for (int k = 0; k < kJoints; ++k)
    pj += std::to_string(k) + "," + joint_names()[static_cast<size_t>(k)] + "," +
          fmt(m.mpjpe_per_joint[static_cast<size_t>(k)]) + "," +
          std::to_string(m.mpjpe_valid_counts[static_cast<size_t>(k)]) + "\n";
  core::formats::write_file_atomic(dir + "/per_joint.csv", pj);

  // Per sequence: the same protocol restricted to each seq_name (joints with
  // no valid sample in the sequence are left out of its mean).
  std::map<std::string, std::vector<const SampleScore*>> by_seq;
  for (const SampleRecord& r : records) by_seq[r.seq_name].push_back(&r.score);
  std::string ps = "seq_name,samples,mpjpe_mm,mpvpe_mm\n";
  for (const auto& [name, list] : by_seq) {
    const Metrics sm = compute_metrics(list);
    double sum = 0;
    int used = 0;
    for (double v : sm.mpjpe_per_joint)
      if (std::isfinite(v)) {
        sum += v;
        ++used;
      }
    ps += name + "," + std::to_string(list.size()) + "," +
          fmt(used ? sum / used : std::nan("")) + "," + fmt(sm.mpvpe) + "\n";
  }
  core::formats::write_file_atomic(dir + "/per_sequence.csv", ps);

  // predictions.npz (+ predictions_vertices.npy for large runs).
  const int64_t n = static_cast<int64_t>(records.size());
  std::vector<float> joints, trans;
  std::vector<int64_t> index, capture, camera, frame;
  joints.reserve(static_cast<size_t>(n) * 126);
  for (const SampleRecord& r : records) {
    joints.insert(joints.end(), r.joints.begin(), r.joints.end());
    trans.insert(trans.end(), r.trans.begin(), r.trans.end());
    index.push_back(r.index);
    capture.push_back(r.capture);
    camera.push_back(r.camera);
    frame.push_back(r.frame);
  }
  records.clear();
  records.shrink_to_fit();
  core::formats::NpzBuilder npz;
  npz.add("joints", {n, kJoints, 3}, joints);
  npz.add("trans", {n, 4}, trans);
  npz.add("sample_index", "<i8", {n}, index.data(), index.size() * 8);
  npz.add("capture", "<i8", {n}, capture.data(), capture.size() * 8);
  npz.add("camera", "<i8", {n}, camera.data(), camera.size() * 8);
  npz.add("frame", "<i8", {n}, frame.data(), frame.size() * 8);
  const uint64_t vertex_bytes = static_cast<uint64_t>(n) * 2 * kHandVerts * 3 * sizeof(float);
  const std::vector<int64_t> vshape = {n, 2 * kHandVerts, 3};
  std::error_code ec;
  std::filesystem::remove(dir + "/predictions_vertices.npy", ec);
  if (vertex_bytes < (2ull << 30)) {
    std::vector<float> verts;
    verts.reserve(static_cast<size_t>(vertex_bytes / sizeof(float)));
    if (ordered) {
      for (const std::string& chunk : chunk_files(dir))
        for (const SampleRecord& r : read_chunk(chunk, true))
          verts.insert(verts.end(), r.vertices.begin(), r.vertices.end());
    } else {
      std::vector<SampleRecord> all = read_chunks(dir, true);
      std::sort(all.begin(), all.end(),
                [](const SampleRecord& a, const SampleRecord& b) { return a.index < b.index; });
      for (const SampleRecord& r : all) verts.insert(verts.end(), r.vertices.begin(), r.vertices.end());
    }
    npz.add("vertices", vshape, verts);
    npz.write(dir + "/predictions.npz");
  } else {
    npz.write(dir + "/predictions.npz");
    if (!ordered)
      throw std::runtime_error(dir + ": chunks are not in index order; cannot stream the vertices");
    // A plain .npy, written as it is read (no size limit).
    core::formats::AtomicFile file(dir + "/predictions_vertices.npy");
    // npy format 1.0 header, padded to 64 bytes, then the data.
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) +
                    ", " + std::to_string(2 * kHandVerts) + ", 3), }";
    const size_t total = 10 + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h += '\n';
    std::string pre("\x93NUMPY\x01\x00", 8);
    pre += static_cast<char>(h.size() & 0xff);
    pre += static_cast<char>((h.size() >> 8) & 0xff);
    file.write(pre + h);
    for (const std::string& chunk : chunk_files(dir))
      for (const SampleRecord& r : read_chunk(chunk, true))
        file.write(r.vertices.data(), r.vertices.size() * sizeof(float));
    file.commit();
  }
  return m;
}

std::string summary_text(const Metrics& m) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "MPJPE for all hand sequences: %.2f\nMPVPE for all hand sequences: %.2f\n"
                "Area under curve between 0mm - 50mm: %.3f\n",
                m.mpjpe, m.mpvpe, m.auc_0_50);
  return buf;
}

}  // namespace intershape::core::eval
