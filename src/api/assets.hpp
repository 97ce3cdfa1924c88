#pragma once
// Files built into the binary (cmake/embed_assets.cmake): the OpenAPI document and the Swagger UI
// page with its scripts, so that one binary serves its own API documentation with no CDN.
#include <optional>
#include <string_view>
#include <vector>

namespace orderflow::web {

struct Asset {
  // "openapi.json", "docs.html" (the /docs page), "docs/swagger-ui.css", ...
  std::string_view name;
  std::string_view body;
};

// Every embedded file, in the order CMake listed them (defined in the generated source).
const std::vector<Asset>& embedded_assets();

std::optional<std::string_view> find_asset(std::string_view name);

// The Content-Type for a file name's extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view name);

}  // namespace orderflow::web
