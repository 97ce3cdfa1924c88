#pragma once
// A list's two statements (its count and one page) with only the filters given in the SQL, so
// that PostgreSQL can use the matching index.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/page.hpp"
#include "drivers/pg/result.hpp"

namespace orderflow::backends {

class PgListQuery {
 public:
  // " AND cond", each '?' in cond standing for `value`; nothing when there is no value.
  void add(std::string_view cond, std::optional<std::string> value);
  // " AND cond", a condition without a value.
  void add(std::string_view cond) { where_.append(" AND ").append(cond); }
  // " AND cond", the n-th '?' in cond standing for values[n].
  void add_each(std::string_view cond, std::vector<std::string> values);

  // count_sql and select_sql end in a WHERE clause the conditions extend.
  pg::Statement count(const std::string& count_sql) const { return {count_sql + where_, params_}; }
  pg::Statement page(const std::string& select_sql, std::string_view order_by, std::int64_t limit,
                     std::int64_t offset) const;
  std::vector<pg::Statement> count_and_page(const std::string& count_sql,
                                            const std::string& select_sql,
                                            std::string_view order_by, std::int64_t limit,
                                            std::int64_t offset) const {
    return {count(count_sql), page(select_sql, order_by, limit, offset)};
  }

  // The page from count_and_page's results, each row made an item by from_row.
  template <typename T, typename FromRow>
  static ports::Page<T> page_of(const std::vector<pg::Result>& results, FromRow from_row) {
    ports::Page<T> page;
    page.total = results.at(0).row(0).integer("count");
    for (const auto row : results.at(1).each_row()) page.data.push_back(from_row(row));
    return page;
  }

 private:
  std::string where_;
  pg::Params params_;
};

}  // namespace orderflow::backends
