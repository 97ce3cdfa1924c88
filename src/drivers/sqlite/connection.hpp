#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace orderflow::sqlite {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A prepared statement in use: bound, stepped, and reset when the cursor goes away.
class Cursor {
 public:
  Cursor(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  Cursor(Cursor&& o) noexcept : db_(o.db_), st_(std::exchange(o.st_, nullptr)) {}
  Cursor(const Cursor&) = delete;
  ~Cursor();

  bool next();  // true while there is a row
  bool is_null(int col) const;
  std::int64_t integer(int col) const;
  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const;
  std::optional<std::int64_t> optional_integer(int col) const;

  // By the result column's name (its alias, else the column): rows read this way do not depend
  // on the order of a SELECT list. Throws std::logic_error for a name the statement lacks.
  int column(std::string_view name) const;
  std::int64_t integer(std::string_view name) const { return integer(column(name)); }
  std::string text(std::string_view name) const { return text(column(name)); }
  std::optional<std::string> optional_text(std::string_view name) const {
    return optional_text(column(name));
  }
  std::optional<std::int64_t> optional_integer(std::string_view name) const {
    return optional_integer(column(name));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_;
  mutable int next_column_ = 0;  // where column() starts looking
};

class Connection {
 public:
  explicit Connection(const std::string& path, bool read_only = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without parameters (several statements allowed).
  void exec_script(const std::string& sql);

  // Prepares (cached) and binds; the cursor steps through the rows.
  template <typename... Args>
  Cursor query(std::string_view sql, const Args&... args) {
    sqlite3_stmt* st = prepare(sql);
    int i = 0;
    (bind(st, ++i, args), ...);
    return Cursor(db_, st);
  }

  // Runs a statement to completion; returns the number of rows changed.
  template <typename... Args>
  std::int64_t exec(std::string_view sql, const Args&... args) {
    auto c = query(sql, args...);
    while (c.next()) {
    }
    return changes();
  }

  void set_busy_timeout(std::chrono::milliseconds timeout);
  std::int64_t changes() const;
  sqlite3* handle() { return db_; }

 private:
  sqlite3_stmt* prepare(std::string_view sql);
  static void bind(sqlite3_stmt* st, int i, std::int64_t v);
  static void bind(sqlite3_stmt* st, int i, int v) { bind(st, i, std::int64_t{v}); }
  static void bind(sqlite3_stmt* st, int i, std::size_t v) { bind(st, i, std::int64_t(v)); }
  static void bind(sqlite3_stmt* st, int i, std::string_view v);
  static void bind(sqlite3_stmt* st, int i, const std::string& v) {
    bind(st, i, std::string_view(v));
  }
  static void bind(sqlite3_stmt* st, int i, const char* v) { bind(st, i, std::string_view(v)); }
  static void bind(sqlite3_stmt* st, int i, std::nullptr_t);
  template <typename T>
  static void bind(sqlite3_stmt* st, int i, const std::optional<T>& v) {
    if (v)
      bind(st, i, *v);
    else
      bind(st, i, nullptr);
  }

  sqlite3* db_ = nullptr;
  // Looked up by string_view: a hit (every statement but the first of its kind) copies nothing.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

}  // namespace orderflow::sqlite
