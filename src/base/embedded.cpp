#include "base/embedded.hpp"

#include <stdexcept>
#include <string>

namespace orderflow {

std::optional<std::string_view> find_embedded(EmbeddedFiles files, std::string_view name) {
  for (const auto& file : files)
    if (file.name == name) return file.bytes;
  return std::nullopt;
}

std::string_view embedded(EmbeddedFiles files, std::string_view name) {
  if (auto bytes = find_embedded(files, name)) return *bytes;
  throw std::logic_error("not embedded in this build: " + std::string(name));
}

}  // namespace orderflow
