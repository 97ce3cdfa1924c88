#include "api/assets.hpp"

#include <array>
#include <utility>

namespace orderflow::web {

std::optional<std::string_view> find_asset(std::string_view name) {
  return find_embedded(embedded_assets(), name);
}

std::string_view content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : types)
    if (name.ends_with(extension)) return type;
  return "application/octet-stream";
}

}  // namespace orderflow::web
