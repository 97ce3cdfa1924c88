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

std::vector<pg::Statement> PgListQuery::count_and_page(const std::string& count_sql,
                                                       const std::string& select_sql,
                                                       std::string_view order_by,
                                                       std::int64_t limit,
                                                       std::int64_t offset) const {
  auto page_params = params_;
  page_params.push_back(std::to_string(limit));
  page_params.push_back(std::to_string(offset));
  std::vector<pg::Statement> s;
  s.push_back({count_sql + where_, params_});
  s.push_back({select_sql + where_ + " ORDER BY " + std::string(order_by) + " LIMIT " +
                   placeholder(params_.size() + 1) + " OFFSET " + placeholder(params_.size() + 2),
               std::move(page_params)});
  return s;
}

}  // namespace orderflow::backends
