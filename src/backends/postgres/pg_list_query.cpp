#include "backends/postgres/pg_list_query.hpp"

namespace orderflow::backends {

namespace {
std::string placeholder(std::size_t n) {
  return "$" + std::to_string(n);
}
}  // namespace

void PgListQuery::add(std::string_view cond, std::optional<std::string> value) {
  if (!value) return;
  params_.push_back(std::move(value));
  where_ += " AND ";
  for (const char c : cond) {
    if (c == '?')
      where_ += placeholder(params_.size());
    else
      where_ += c;
  }
}

void PgListQuery::add_each(std::string_view cond, std::vector<std::string> values) {
  where_ += " AND ";
  std::size_t next = 0;
  for (const char c : cond) {
    if (c == '?') {
      params_.push_back(std::move(values.at(next++)));
      where_ += placeholder(params_.size());
    } else {
      where_ += c;
    }
  }
}

pg::Statement PgListQuery::page(const std::string& select_sql, std::string_view order_by,
                                std::int64_t limit, std::int64_t offset) const {
  auto params = params_;
  params.push_back(std::to_string(limit));
  params.push_back(std::to_string(offset));
  return {select_sql + where_ + " ORDER BY " + std::string(order_by) + " LIMIT " +
              placeholder(params_.size() + 1) + " OFFSET " + placeholder(params_.size() + 2),
          std::move(params)};
}

}  // namespace orderflow::backends
