#include "app/hand_options.h"

namespace intershape::app {

void add_hand_options(CLI::App& cmd, HandOptions& o, const std::string& s) {
  cmd.add_option("--crop", o.crop,
                 "What the network sees: detect (find the hands with MediaPipe's models, then "
                 "track them), track (follow the network's keypoints) or whole (the whole frame)" +
                     s)
      ->capture_default_str()
      ->check(CLI::IsMember({"whole", "detect", "track"}));
  cmd.add_option("--hand-models", o.models_dir,
                 "Folder with palm_detection_full.tflite and hand_landmark_full.tflite (default: "
                 "assets/models, fetched by scripts/fetch_hand_models.sh)" +
                     s);
}

}  // namespace intershape::app
