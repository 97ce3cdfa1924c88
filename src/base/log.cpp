#include "base/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "base/json.hpp"
#include "base/time.hpp"

namespace orderflow::log {

namespace {
std::atomic<Level> g_level{Level::info};

spdlog::logger& logger() {
  static auto l = [] {
    auto lg = spdlog::stdout_logger_mt("orderflow");
    lg->set_pattern("%v");
    lg->set_level(spdlog::level::trace);
    lg->flush_on(spdlog::level::trace);
    return lg;
  }();
  return *l;
}

constexpr std::string_view kNames[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

void set_level(std::string_view level) {
  std::string lower(level);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "warning") lower = "warn";
  for (int i = 0; i < 5; ++i)
    if (kNames[i] == lower) {
      g_level = static_cast<Level>(i);
      return;
    }
  g_level = Level::info;
}

bool enabled(Level level) {
  return level >= g_level.load(std::memory_order_relaxed) && level != Level::off;
}

void write(Level level, std::string_view message, const boost::json::object& fields) {
  if (!enabled(level)) return;
  boost::json::object line{{"ts", format_rfc3339(now_ms())},
                           {"level", kNames[static_cast<int>(level)]},
                           {"msg", message}};
  for (const auto& [k, v] : fields) line[k] = v;
  logger().info(to_json_text(line));
}

}  // namespace orderflow::log
