// The one translation unit with tinygltf's implementation.
#define TINYGLTF_IMPLEMENTATION
#include "core/export/tinygltf_config.h"
