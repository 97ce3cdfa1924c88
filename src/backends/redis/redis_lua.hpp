#pragma once
// This folder's Lua scripts (lua/*.lua, embedded at build by cmake/embed_files.cmake).
#include <initializer_list>
#include <string_view>

#include "base/embedded.hpp"
#include "drivers/redis/script.hpp"

namespace orderflow::backends {

EmbeddedFiles redis_lua_files();

// One script made of these files, in order: queue_library.lua first when the body calls the
// queue's functions (Redis runs a script on its own, so shared Lua is prepended, not loaded).
redis::Script lua_script(std::initializer_list<std::string_view> files);

}  // namespace orderflow::backends
