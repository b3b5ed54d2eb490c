// UiAsset: one file of the built web UI (Vite's dist/), embedded into the
// binary gzip-compressed by the ui_embed generator (embed_assets.cc) at
// build time.
//
// Ownership: the table and the bytes are static data with program lifetime.
// Thread-safety: immutable; read from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace promethium::web {

struct UiAsset {
  std::string_view path;     // relative to dist/, with a leading '/': "/index.html", "/assets/index-abc.js"
  std::string_view gzipped;  // the file's bytes, gzip-compressed
  size_t size = 0;           // the uncompressed size
};

// The UI files embedded into this binary; empty when it was built with
// -DPROMETHIUM_BUILD_UI=OFF.
std::span<const UiAsset> EmbeddedUiAssets();

}  // namespace promethium::web
