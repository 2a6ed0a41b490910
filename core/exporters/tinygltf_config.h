#pragma once
// tinygltf with the settings every user in this project must share (they
// change what the header declares): no image codecs, no external images.
// The implementation is compiled once, in tinygltf_impl.cpp.

#define TINYGLTF_NO_STB_IMAGE
#define TINYGLTF_NO_STB_IMAGE_WRITE
#define TINYGLTF_NO_EXTERNAL_IMAGE
#include <tiny_gltf.h>
