// The one translation unit with tinygltf's implementation.
#define TINYGLTF_IMPLEMENTATION
#include "core/exporters/tinygltf_config.h"
