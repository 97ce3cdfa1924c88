#pragma once
// How load_config reads one variable's value: lists, bounded numbers, durations, secret files.
// Each throws ConfigError naming the variable.
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace orderflow::app::config_values {

// "a, b,c" → {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_list(const std::string& s);

template <typename T>
T number(const std::string& name, const std::string& v, T lo, T hi) {
  try {
    std::size_t used = 0;
    const long double x = std::stold(v, &used);
    if (used != v.size() || x < lo || x > hi) throw std::out_of_range(name);
    return static_cast<T>(x);
  } catch (const std::exception&) {
    std::ostringstream msg;
    msg << name << " must be a number from " << lo << " to " << hi << ", got '" << v << "'";
    throw ConfigError(msg.str());
  }
}

// A secret mounted as a file (container secret stores): its content without trailing
// whitespace or newline.
std::string read_secret_file(const std::string& name, const std::string& path);

std::chrono::milliseconds duration(const std::string& name, const std::string& v);

}  // namespace orderflow::app::config_values
