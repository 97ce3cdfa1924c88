#include "drivers/sqlite/connection.hpp"

#include <stdexcept>

#include <sqlite3.h>

namespace orderflow::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw Error(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}
}  // namespace

Cursor::~Cursor() {
  if (st_) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
}

bool Cursor::next() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "sqlite step");
}

bool Cursor::is_null(int col) const {
  return sqlite3_column_type(st_, col) == SQLITE_NULL;
}
std::int64_t Cursor::integer(int col) const {
  return sqlite3_column_int64(st_, col);
}
std::string Cursor::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
           : std::string();
}
std::optional<std::string> Cursor::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}
std::optional<std::int64_t> Cursor::optional_integer(int col) const {
  if (is_null(col)) return std::nullopt;
  return integer(col);
}
int Cursor::column(std::string_view name) const {
  // Rows are mostly read in the order of their SELECT list: the search starts after the column
  // found last, so such a read compares one name per column.
  const int n = sqlite3_column_count(st_);
  for (int k = 0; k < n; ++k) {
    const int i = (next_column_ + k) % n;
    if (name == sqlite3_column_name(st_, i)) {
      next_column_ = i + 1;
      return i;
    }
  }
  throw std::logic_error("no column " + std::string(name) + " in: " + sqlite3_sql(st_));
}

Connection::Connection(const std::string& path, bool read_only) {
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  if (const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
    std::string msg = std::string("cannot open database: ") + sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(rc, msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

void Connection::exec_script(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw Error(rc, "sqlite exec: " + msg);
  }
}

sqlite3_stmt* Connection::prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &st, nullptr);
      rc != SQLITE_OK)
    fail(db_, rc, "sqlite prepare");
  statements_.emplace(std::string(sql), st);
  return st;
}

void Connection::bind(sqlite3_stmt* st, int i, std::int64_t v) {
  sqlite3_bind_int64(st, i, v);
}
void Connection::bind(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void Connection::bind(sqlite3_stmt* st, int i, std::nullptr_t) {
  sqlite3_bind_null(st, i);
}

void Connection::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

}  // namespace orderflow::sqlite
