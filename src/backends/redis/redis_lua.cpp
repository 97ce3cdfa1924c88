#include "backends/redis/redis_lua.hpp"

#include <string>

namespace orderflow::backends {

redis::Script lua_script(std::initializer_list<std::string_view> files) {
  std::string source;
  for (const auto file : files) source += embedded(redis_lua_files(), file);
  return redis::Script(std::move(source));
}

}  // namespace orderflow::backends
