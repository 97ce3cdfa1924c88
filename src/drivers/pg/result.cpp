#include "drivers/pg/result.hpp"

#include <libpq-fe.h>

namespace orderflow::pg {

void ArrayLiteral::add(std::string_view item) {
  if (text_.size() > 1) text_ += ',';
  text_ += '"';
  for (char c : item) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::add(const std::optional<std::string>& item) {
  if (item) return add(std::string_view(*item));
  if (text_.size() > 1) text_ += ',';
  text_ += "NULL";
}

std::string ArrayLiteral::done() && {
  text_ += '}';
  return std::move(text_);
}

std::string text_array(const std::vector<std::string>& items) {
  ArrayLiteral array;
  for (const auto& item : items) array.add(std::string_view(item));
  return std::move(array).done();
}

void ArrayColumns::add_row(const Params& row) {
  if (row.size() != columns_.size()) throw std::logic_error("a row of the wrong width");
  for (std::size_t i = 0; i < row.size(); ++i) columns_[i].add(row[i]);
  ++rows_;
}

Params ArrayColumns::done() && {
  Params out;
  for (auto& column : columns_) out.push_back(std::move(column).done());
  return out;
}

Result copy_result(const PGresult* r) {
  Result out;
  const int cols = PQnfields(r), rows = PQntuples(r);
  for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(r, c));
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    std::vector<std::optional<std::string>> row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r, i, c))
        row.emplace_back(std::nullopt);
      else
        row.emplace_back(
            std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
    }
    out.rows.push_back(std::move(row));
  }
  const char* affected = PQcmdTuples(const_cast<PGresult*>(r));  // libpq's signature lacks const
  out.affected = affected && *affected ? std::stoll(affected) : 0;
  return out;
}

}  // namespace orderflow::pg
