#pragma once
// A backend's SQL, kept in .sql files beside its code and embedded at build
// (cmake/embed_files.cmake):
// - migrations/NNN_what.sql: the schema, one version per file, numbered from 001 without gaps.
//   Never edit a released file: add the next number.
// - any other .sql file: named statements, each starting with a line `-- name: NAME`; its text
//   runs to the next such line. Names are unique across the backend's files.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/embedded.hpp"

namespace orderflow::backends {

struct Migration {
  int version;       // NNN of its file name
  std::string name;  // the file name
  std::string_view script;
};

class SqlFiles {
 public:
  // Throws std::logic_error on a malformed set: a duplicate name, a gap in the migrations.
  explicit SqlFiles(EmbeddedFiles files);

  // The statement called `name`; throws std::logic_error when there is none.
  const std::string& operator[](std::string_view name) const;

  // In version order.
  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  std::map<std::string, std::string, std::less<>> statements_;
  std::vector<Migration> migrations_;
};

// A script's statements, split at each `;` that ends a line (for drivers that run one statement
// at a time); empty statements are dropped.
std::vector<std::string> split_statements(std::string_view script);

}  // namespace orderflow::backends
