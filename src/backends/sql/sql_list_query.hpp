#pragma once
// A list's statements (its count and one page) with only the filters given in the SQL, so that
// the server can use the matching index. `Statement` is the driver's ({sql, params}); `Dialect`
// says how the driver writes a parameter:
//   static std::string placeholder(std::size_t n)   for the n-th parameter (from 1)
//   static constexpr bool kNumbered                 "$1" may stand twice; "?" stands once each
//   static Value value(const T&)                    std::string and std::int64_t as a parameter
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/page.hpp"

namespace orderflow::backends {

template <class Statement, class Dialect>
class SqlListQuery {
 public:
  // " AND cond", each '?' in cond standing for `value`; nothing when there is no value.
  template <class T>
  void add(std::string_view cond, const std::optional<T>& value) {
    if (!value) return;
    where_ += " AND ";
    bool pushed = false;
    for (const char c : cond) {
      if (c != '?') {
        where_ += c;
        continue;
      }
      if (!pushed || !Dialect::kNumbered) params_.push_back(Dialect::value(*value));
      pushed = true;
      where_ += Dialect::placeholder(params_.size());
    }
  }
  // " AND cond", a condition without a value.
  void add(std::string_view cond) { where_.append(" AND ").append(cond); }
  // " AND cond", the n-th '?' in cond standing for the n-th value.
  template <class... T>
  void add_each(std::string_view cond, const T&... values) {
    std::vector<decltype(Dialect::value(std::string()))> given{Dialect::value(values)...};
    where_ += " AND ";
    std::size_t next = 0;
    for (const char c : cond) {
      if (c == '?') {
        params_.push_back(std::move(given.at(next++)));
        where_ += Dialect::placeholder(params_.size());
      } else {
        where_ += c;
      }
    }
  }

  // count_sql and select_sql end in a WHERE clause the conditions extend.
  Statement count(const std::string& count_sql) const { return {count_sql + where_, params_}; }
  Statement page(const std::string& select_sql, std::string_view order_by, std::int64_t limit,
                 std::int64_t offset) const {
    auto params = params_;
    params.push_back(Dialect::value(limit));
    params.push_back(Dialect::value(offset));
    return {select_sql + where_ + " ORDER BY " + std::string(order_by) + " LIMIT " +
                Dialect::placeholder(params_.size() + 1) + " OFFSET " +
                Dialect::placeholder(params_.size() + 2),
            std::move(params)};
  }
  std::vector<Statement> count_and_page(const std::string& count_sql, const std::string& select_sql,
                                        std::string_view order_by, std::int64_t limit,
                                        std::int64_t offset) const {
    return {count(count_sql), page(select_sql, order_by, limit, offset)};
  }

  // The page from count_and_page's results, each row made an item by from_row.
  template <typename T, typename Results, typename FromRow>
  static ports::Page<T> page_of(const Results& results, FromRow from_row) {
    ports::Page<T> page;
    page.total = results.at(0).row(0).integer("count");
    for (const auto row : results.at(1).each_row()) page.data.push_back(from_row(row));
    return page;
  }

 private:
  std::string where_;
  decltype(Statement::params) params_;
};

}  // namespace orderflow::backends
