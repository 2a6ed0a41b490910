#pragma once
// The one way our glTF writers lay data out: every array in the model's single
// buffer (the GLB's binary chunk), each as its own 4-byte aligned view.

#include <cstddef>

#include "core/exporters/tinygltf_config.h"

namespace intershape::core::exporters {

// Appends `size` bytes at `data` to m.buffers[0] as a new buffer view
// (`target`: ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER or 0); returns its index.
inline int add_buffer_view(tinygltf::Model& m, const void* data, size_t size, int target) {
  auto& buf = m.buffers[0].data;
  buf.resize((buf.size() + 3) / 4 * 4, 0);
  tinygltf::BufferView v;
  v.buffer = 0;
  v.byteOffset = buf.size();
  v.byteLength = size;
  v.target = target;
  const auto* p = static_cast<const unsigned char*>(data);
  buf.insert(buf.end(), p, p + size);
  m.bufferViews.push_back(v);
  return static_cast<int>(m.bufferViews.size() - 1);
}

}  // namespace intershape::core::exporters
