#include "backends/sql/sql_files.hpp"

#include <algorithm>
#include <stdexcept>

namespace orderflow::backends {

namespace {

constexpr std::string_view kMigrationDir = "migrations/";
constexpr std::string_view kNameMarker = "-- name: ";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Calls add(name, text) for each named statement of a file.
template <typename Add>
void each_statement(std::string_view file, std::string_view text, Add add) {
  std::string name;
  std::string body;
  // Comment lines before a `-- name:` line describe the next statement: not part of this one.
  const auto flush = [&] {
    auto text = trim(body);
    while (true) {
      const auto last_line = text.rfind('\n');
      const auto line = trim(last_line == std::string_view::npos ? text : text.substr(last_line));
      if (!line.starts_with("--")) break;
      text = trim(last_line == std::string_view::npos ? std::string_view{}
                                                      : text.substr(0, last_line));
    }
    if (!name.empty()) add(name, std::string(text));
    body.clear();
  };
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.starts_with(kNameMarker)) {
      flush();
      name = std::string(trim(line.substr(kNameMarker.size())));
    } else if (!name.empty()) {
      body.append(line).push_back('\n');
    } else if (!trim(line).empty() && !line.starts_with("--")) {
      throw std::logic_error(std::string(file) + ": SQL before the first '-- name:' line");
    }
  }
  flush();
}

}  // namespace

SqlFiles::SqlFiles(EmbeddedFiles files) {
  for (const auto& file : files) {
    if (!file.name.ends_with(".sql")) continue;
    if (file.name.starts_with(kMigrationDir)) {
      const auto base = file.name.substr(kMigrationDir.size());
      migrations_.push_back(
          {std::stoi(std::string(base.substr(0, 3))), std::string(base), file.bytes});
      continue;
    }
    each_statement(file.name, file.bytes, [&](const std::string& name, std::string text) {
      if (!statements_.emplace(name, std::move(text)).second)
        throw std::logic_error("SQL statement named twice: " + name);
    });
  }
  std::sort(migrations_.begin(), migrations_.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 0; i < migrations_.size(); ++i)
    if (migrations_[i].version != static_cast<int>(i) + 1)
      throw std::logic_error("migrations are not numbered 001, 002, ...: " + migrations_[i].name);
}

const std::string& SqlFiles::operator[](std::string_view name) const {
  const auto it = statements_.find(name);
  if (it == statements_.end())
    throw std::logic_error("no SQL statement named " + std::string(name));
  return it->second;
}

std::vector<std::string> split_statements(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  while (!script.empty()) {
    const auto end = script.find('\n');
    const auto line = script.substr(0, end);
    script = end == std::string_view::npos ? std::string_view{} : script.substr(end + 1);
    if (trim(line).starts_with("--")) continue;
    current.append(line).push_back('\n');
    if (trim(line).ends_with(';')) {
      auto statement = trim(current);
      statement.remove_suffix(1);
      if (!trim(statement).empty()) out.emplace_back(trim(statement));
      current.clear();
    }
  }
  if (!trim(current).empty()) out.emplace_back(trim(current));
  return out;
}

}  // namespace orderflow::backends
