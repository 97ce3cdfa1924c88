#pragma once
// Files built into the binary (cmake/embed_files.cmake): the OpenAPI document and the Swagger UI
// page with its scripts, so that one binary serves its own API documentation with no CDN.
#include <optional>
#include <string_view>

#include "base/embedded.hpp"

namespace orderflow::web {

// Every embedded file ("openapi.json", "docs.html" (the /docs page), "docs/swagger-ui.css", ...),
// in the order CMake listed them (defined in the generated source).
EmbeddedFiles embedded_assets();

std::optional<std::string_view> find_asset(std::string_view name);

// The Content-Type for a file name's extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view name);

}  // namespace orderflow::web
