#pragma once
// JSON-lines logging to stdout: {"ts","level","msg",...fields}.
#include <boost/json/object.hpp>

#include <string_view>

namespace orderflow::log {

enum class Level { debug, info, warn, error, off };

// Accepts debug|info|warn|error|off (case-insensitive); unknown values mean info.
void set_level(std::string_view level);
bool enabled(Level level);
void write(Level level, std::string_view message, const boost::json::object& fields = {});

inline void debug(std::string_view m, const boost::json::object& f = {}) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, const boost::json::object& f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, const boost::json::object& f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, const boost::json::object& f = {}) {
  write(Level::error, m, f);
}

}  // namespace orderflow::log
