#include "core/train/training_run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <regex>
#include <sstream>

#include "core/formats/atomic_file.h"
#include "core/train/sampler.h"
#include "core/train/schedule.h"

namespace intershape::core::train {
namespace {

using Clock = std::chrono::steady_clock;
using core::formats::ExportError;

std::string snapshot_path(const std::string& dir, int epoch) {
  return (std::filesystem::path(dir) / ("snapshot_" + std::to_string(epoch) + ".pth.tar")).string();
}

// Appends whole lines and checks each write: a full disk stops the run with
// the file's name instead of a log that silently ends.
class LogFile {
 public:
  explicit LogFile(const std::string& dir)
      : path_((std::filesystem::path(dir) / "train_log.jsonl").string()),
        out_(path_, std::ios::app) {
    if (!out_) throw ExportError("cannot write " + path_);
  }
  void write(const nlohmann::json& j) {
    out_ << j.dump() << "\n" << std::flush;
    if (!out_) throw ExportError("cannot write " + path_ + " (disk full?)");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

nlohmann::json step_record(const RunRecord& pos, int64_t step_in_epoch, double lr,
                           const StepResult& r, size_t batch, double step_s, double data_s) {
  nlohmann::json j;
  j["epoch"] = pos.epoch;
  j["step"] = pos.step;
  j["step_in_epoch"] = step_in_epoch;
  j["lr"] = lr;
  for (size_t i = 0; i < 6; ++i) j[kLossNames[i]] = r.terms[i];
  j["total"] = r.total;
  j["batch"] = batch;
  j["seconds"] = step_s;
  j["images_per_second"] = step_s > 0 ? static_cast<double>(batch) / step_s : 0.0;
  j["data_wait_share"] = step_s > 0 ? data_s / step_s : 0.0;
  return j;
}

void print_step(std::ostream& out, const nlohmann::json& j) {
  char line[320];
  std::snprintf(line, sizeof line,
                "epoch %d step %lld lr %.1e total %.4f (offset %.4f consis %.4f joint %.4f bone "
                "%.4f shape %.4f reg %.4f) %.2f s, data %.0f%%\n",
                j["epoch"].get<int>(), static_cast<long long>(j["step"].get<int64_t>()),
                j["lr"].get<double>(), j["total"].get<double>(), j["offset"].get<double>(),
                j["consis"].get<double>(), j["joint"].get<double>(), j["bone"].get<double>(),
                j["shape"].get<double>(), j["regularizer"].get<double>(),
                j["seconds"].get<double>(), 100 * j["data_wait_share"].get<double>());
  out << line << std::flush;
}

struct Loop {
  Trainer& trainer;
  BatchSource& source;
  const RunOptions& o;
  std::ostream& out;
  RunRecord pos;
  RunOutcome outcome;
  bool stopped_by_request = false;
  bool main_rank() const { return o.rank == 0; }

  void checkpoint(int epoch) {
    if (!main_rank()) return;
    const std::string path = snapshot_path(o.output, epoch);
    save_checkpoint(path, *trainer.net(), trainer.optimizer(), epoch, &pos);
    outcome.last_checkpoint = path;
    out << "wrote " << path << " (step " << pos.step << ")\n" << std::flush;
  }

  // The same answer on every rank: max_steps is the same everywhere, the
  // signal flag is agreed on through the hook.
  bool should_stop() {
    bool requested = o.stop && o.stop->load();
    if (o.agree_stop) requested = o.agree_stop(requested);
    if (requested) stopped_by_request = true;
    return (o.max_steps > 0 && pos.step >= o.max_steps) || requested;
  }

  // One epoch from pos.step_in_epoch; false when the run stopped inside it.
  bool epoch(LogFile* log) {
    const int e = pos.epoch;
    trainer.set_lr(lr_at_epoch(e, pos.lr, pos.lr_steps));
    const ShardSpec shard{o.rank, static_cast<int>(pos.world), static_cast<size_t>(pos.batch)};
    const int64_t steps =
        static_cast<int64_t>(steps_per_epoch(static_cast<size_t>(pos.dataset_size), shard));
    bool wrote_at_stop = false;
    while (pos.step_in_epoch < steps) {
      if (should_stop()) {
        if (!wrote_at_stop) checkpoint(e);
        return false;
      }
      const auto t0 = Clock::now();
      Batch batch = source.next(e, static_cast<size_t>(pos.step_in_epoch));
      if (o.before_step) o.before_step(pos.step);
      const auto t1 = Clock::now();
      // A short last batch may leave a rank without samples: it still joins the sync.
      StepResult r =
          batch.size == 0 ? trainer.step_without_samples() : trainer.step(batch.img, batch.targets);
      const size_t job_batch = o.combine ? o.combine(r, batch.size) : batch.size;
      const auto t2 = Clock::now();
      nlohmann::json j = step_record(pos, pos.step_in_epoch, trainer.lr(), r, job_batch,
                                     std::chrono::duration<double>(t2 - t0).count(),
                                     std::chrono::duration<double>(t1 - t0).count());
      if (trainer.loss_scaler()) {  // fp16: the scale used, and whether Adam skipped the step
        j["loss_scale"] = r.loss_scale;
        j["step_skipped"] = !r.stepped;
      }
      ++pos.step;
      ++pos.step_in_epoch;
      if (log) {
        log->write(j);
        print_step(out, j);
      }
      wrote_at_stop = false;
      if (o.checkpoint_every > 0 && pos.step % o.checkpoint_every == 0 &&
          pos.step_in_epoch < steps) {
        checkpoint(e);
        wrote_at_stop = true;
      }
    }
    return true;
  }
};

}  // namespace

RunOutcome run_training(Trainer& trainer, BatchSource& source, const RunRecord& start,
                        const RunOptions& o, const ValidateFn& validate, std::ostream& out) {
  Loop loop{trainer, source, o, out, start, {}};
  std::unique_ptr<LogFile> log;
  if (loop.main_rank()) log = std::make_unique<LogFile>(o.output);
  while (loop.pos.epoch < o.epochs) {
    if (loop.pos.step_in_epoch == 0 && loop.should_stop()) break;  // last epoch's file is current
    if (!loop.epoch(log.get())) break;
    const int finished = loop.pos.epoch;
    loop.pos.epoch += 1;
    loop.pos.step_in_epoch = 0;
    loop.checkpoint(finished);
    if (validate && loop.main_rank()) {
      nlohmann::json j;
      j["epoch"] = finished;
      j["step"] = loop.pos.step;
      j["val"] = validate(loop.outcome.last_checkpoint, finished);
      log->write(j);
      out << "epoch " << finished << " validation: " << j["val"].dump() << "\n" << std::flush;
    }
  }
  loop.outcome.position = loop.pos;
  loop.outcome.interrupted = loop.stopped_by_request;
  return loop.outcome;
}

std::string newest_checkpoint(const std::string& dir) {
  static const std::regex kName(R"(snapshot_(\d{1,9})\.pth\.tar)");
  int best = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, kName)) best = std::max(best, std::stoi(m[1].str()));
  }
  return best < 0 ? std::string() : snapshot_path(dir, best);
}

void trim_log(const std::string& dir, const RunRecord& position) {
  const std::string path = (std::filesystem::path(dir) / "train_log.jsonl").string();
  std::ifstream in(path);
  if (!in) return;
  std::ostringstream kept;
  std::string line;
  size_t dropped = 0;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    bool keep = true;
    if (j.is_object()) {
      if (j.contains("val") && j.contains("epoch") && j["epoch"].is_number())
        keep = j["epoch"].get<int64_t>() < position.epoch;
      else if (j.contains("step") && j["step"].is_number())
        keep = j["step"].get<int64_t>() < position.step;
    }
    if (keep)
      kept << line << "\n";
    else
      ++dropped;
  }
  if (dropped > 0) core::formats::write_file_atomic(path, kept.str());
}

}  // namespace intershape::core::train
