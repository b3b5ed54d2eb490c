// The asset table of a build without the web UI (PROMETHIUM_BUILD_UI=OFF).
#include "web/ui/ui_assets.h"

namespace promethium::web {

std::span<const UiAsset> EmbeddedUiAssets() { return {}; }

}  // namespace promethium::web
