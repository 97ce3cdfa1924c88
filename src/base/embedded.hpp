#pragma once
// Files built into the binary by cmake/embed_files.cmake: web assets, SQL, Lua.
#include <optional>
#include <span>
#include <string_view>

namespace orderflow {

struct EmbeddedFile {
  std::string_view name;  // the path it was embedded under, e.g. "migrations/001_schema.sql"
  std::string_view bytes;
};

using EmbeddedFiles = std::span<const EmbeddedFile>;

std::optional<std::string_view> find_embedded(EmbeddedFiles files, std::string_view name);

// The file called `name`; throws std::logic_error when it is not there (a build defect).
std::string_view embedded(EmbeddedFiles files, std::string_view name);

}  // namespace orderflow
