#include "backends/postgres/pg_catalog.hpp"

#include "backends/postgres/pg_rows.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "drivers/pg/transaction.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using pg::Params;
using pg::Statement;

asio::awaitable<std::vector<domain::Category>> PgCatalog::list_categories() {
  std::vector<Statement> s;
  s.push_back(
      {"SELECT c.slug, c.name, count(p.product_id) FROM categories c LEFT JOIN products p "
       "ON p.category = c.slug GROUP BY c.slug, c.name ORDER BY c.name, c.slug",
       {}});
  const auto r = co_await db_.read(std::move(s));
  std::vector<domain::Category> out;
  for (const auto& row : r.at(0).rows) out.push_back({*row[0], *row[1], int_of(row[2])});
  co_return out;
}

asio::awaitable<bool> PgCatalog::create_category(domain::Category c) {
  Params params{c.slug, c.name, text_of(now_ms())};
  const auto r = co_await db_.primary().query(
      "INSERT INTO categories(slug, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      std::move(params));
  co_await db_.wrote();
  co_return r.affected == 1;
}

asio::awaitable<ports::Page<domain::CatalogProduct>> PgCatalog::list_products(
    ports::ProductFilter f) {
  std::string where = " WHERE TRUE";
  Params params;
  // `cond` receives the placeholder ($n) of the value it tests.
  const auto add = [&](auto cond, std::optional<std::string> v) {
    if (!v) return;
    params.push_back(std::move(v));
    std::string placeholder = "$";  // appended, not "$" + …: GCC 12 warns falsely on that
    placeholder += std::to_string(params.size());
    where += " AND " + cond(placeholder);
  };
  add([](const std::string& p) { return "p.category = " + p; }, f.category);
  add(
      [](const std::string& p) {
        return "(lower(p.name) LIKE " + p + " OR lower(p.sku) LIKE " + p + ")";
      },
      f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt);
  add([](const std::string& p) { return "p.price >= " + p; }, text_of(f.min_price));
  add([](const std::string& p) { return "p.price <= " + p; }, text_of(f.max_price));
  if (f.in_stock) where += " AND p.stock - p.reserved > 0";
  auto page_params = params;
  page_params.push_back(text_of(f.limit));
  page_params.push_back(text_of((f.page - 1) * f.limit));
  const auto n = params.size();
  std::vector<Statement> s;
  s.push_back({"SELECT count(*) FROM products p" + where, params});
  s.push_back({std::string(kProductSelect) + where + " ORDER BY " +
                   product_order_by(f.sort, "lower(p.name)") + " LIMIT $" + std::to_string(n + 1) +
                   " OFFSET $" + std::to_string(n + 2),
               page_params});
  const auto r = co_await db_.read(std::move(s));
  ports::Page<domain::CatalogProduct> page;
  page.total = int_of(r.at(0).rows.at(0).at(0));
  for (const auto& row : r.at(1).rows) page.data.push_back(product_from_row(row));
  co_return page;
}

asio::awaitable<std::vector<domain::CatalogProduct>> PgCatalog::find_products(
    std::vector<std::string> ids) {
  // One id (a product page) by equality: its generic plan is an index lookup, so PostgreSQL
  // reuses it. With "= ANY(array)" the generic plan guesses ten rows and costs more than a
  // custom one, so every execution was planned again (measured: half the rate, a long tail).
  const bool one = ids.size() == 1;
  Params params{one ? ids.front() : pg::text_array(ids)};
  const auto r = co_await db_.primary().query(
      std::string(kProductSelect) +
          (one ? " WHERE p.product_id = $1" : " WHERE p.product_id = ANY($1::text[])"),
      std::move(params));
  // In the order asked for, like the embedded store.
  std::vector<domain::CatalogProduct> out;
  for (const auto& id : ids)
    for (const auto& row : r.rows)
      if (*row[0] == id) out.push_back(product_from_row(row));
  co_return out;
}

asio::awaitable<ports::ProductWrite> PgCatalog::create_product(domain::ProductFields f) {
  const auto id = f.product_id.value_or(uuid_v7());
  std::vector<Statement> s;
  s.push_back(
      {"INSERT INTO products(product_id, sku, name, description, price, category, stock, "
       "reserved, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,$8)",
       {id, *f.sku, *f.name, f.description.value_or(""), text_of(*f.price), *f.category,
        text_of(*f.stock), text_of(now_ms())}});
  s.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
  try {
    const auto r = co_await db_.primary().execute(std::move(s));
    co_await db_.wrote();
    co_return ports::ProductWrite{ports::WriteOutcome::ok, product_from_row(r.at(1).rows.at(0))};
  } catch (const pg::QueryError& e) {
    if (e.sqlstate() == "23505")
      co_return ports::ProductWrite{ports::WriteOutcome::duplicate, std::nullopt};
    if (e.sqlstate() == "23503")
      co_return ports::ProductWrite{ports::WriteOutcome::unknown_category, std::nullopt};
    throw;
  }
}

asio::awaitable<ports::ProductWrite> PgCatalog::update_product(std::string id,
                                                               domain::ProductFields f) {
  auto outcome = co_await pg::in_transaction<ports::ProductWrite>(
      db_.primary(), [&](pg::Pool::Lease& tx) -> asio::awaitable<ports::ProductWrite> {
        std::vector<Statement> s;
        s.push_back(
            {std::string(kProductSelect) + " WHERE p.product_id = $1 FOR UPDATE OF p", {id}});
        if (f.sku)
          s.push_back({"SELECT 1 FROM products WHERE sku = $1 AND product_id <> $2", {*f.sku, id}});
        if (f.category) s.push_back({"SELECT 1 FROM categories WHERE slug = $1", {*f.category}});
        const auto r = co_await tx.execute(std::move(s));
        if (r.at(0).rows.empty())
          co_return ports::ProductWrite{ports::WriteOutcome::not_found, std::nullopt};
        const auto p = product_from_row(r.at(0).rows[0]);
        std::size_t next = 1;
        if (f.sku && !r.at(next++).rows.empty())
          co_return ports::ProductWrite{ports::WriteOutcome::duplicate, std::nullopt};
        if (f.category && r.at(next++).rows.empty())
          co_return ports::ProductWrite{ports::WriteOutcome::unknown_category, std::nullopt};
        if (f.stock && *f.stock < p.reserved)
          co_return ports::ProductWrite{ports::WriteOutcome::below_reserved, std::nullopt};
        std::vector<Statement> u;
        u.push_back(
            {"UPDATE products SET sku=$2, name=$3, description=$4, price=$5, category=$6, "
             "stock=$7, "
             "updated_at=$8 WHERE product_id=$1",
             {id, f.sku.value_or(p.sku), f.name.value_or(p.name),
              f.description.value_or(p.description), text_of(f.price.value_or(p.price)),
              f.category.value_or(p.category_slug), text_of(f.stock.value_or(p.stock)),
              text_of(now_ms())}});
        u.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
        const auto w = co_await tx.execute(std::move(u));
        co_return ports::ProductWrite{ports::WriteOutcome::ok,
                                      product_from_row(w.at(1).rows.at(0))};
      });
  co_await db_.wrote();
  co_return outcome;
}

asio::awaitable<ports::ProductWrite> PgCatalog::change_inventory(std::string id,
                                                                 domain::InventoryChange change) {
  auto outcome = co_await pg::in_transaction<ports::ProductWrite>(
      db_.primary(), [&](pg::Pool::Lease& tx) -> asio::awaitable<ports::ProductWrite> {
        std::vector<Statement> s;
        s.push_back(
            {std::string(kProductSelect) + " WHERE p.product_id = $1 FOR UPDATE OF p", {id}});
        const auto r = co_await tx.execute(std::move(s));
        if (r.at(0).rows.empty())
          co_return ports::ProductWrite{ports::WriteOutcome::not_found, std::nullopt};
        const auto p = product_from_row(r.at(0).rows[0]);
        const auto [stock, verdict] = domain::apply_inventory_change(p.stock, p.reserved, change);
        if (verdict == domain::InventoryVerdict::negative)
          co_return ports::ProductWrite{ports::WriteOutcome::negative, p};
        if (verdict == domain::InventoryVerdict::below_reserved)
          co_return ports::ProductWrite{ports::WriteOutcome::below_reserved, p};
        std::vector<Statement> u;
        u.push_back({"UPDATE products SET stock = $2, updated_at = $3 WHERE product_id = $1",
                     {id, text_of(stock), text_of(now_ms())}});
        u.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
        const auto w = co_await tx.execute(std::move(u));
        co_return ports::ProductWrite{ports::WriteOutcome::ok,
                                      product_from_row(w.at(1).rows.at(0))};
      });
  co_await db_.wrote();
  co_return outcome;
}

asio::awaitable<bool> PgCatalog::delete_product(std::string id) {
  Params params{id};
  const auto r =
      co_await db_.primary().query("DELETE FROM products WHERE product_id = $1", std::move(params));
  co_await db_.wrote();
  co_return r.affected > 0;
}

asio::awaitable<bool> PgCatalog::load_demo_catalog(domain::DemoCatalog demo) {
  auto outcome = co_await pg::in_transaction<bool>(
      db_.primary(), [&](pg::Pool::Lease& tx) -> asio::awaitable<bool> {
        // Several processes may start at once: one loads, the others find it done.
        std::vector<Statement> check;
        check.push_back(Statement{"SELECT pg_advisory_xact_lock(7021800207081650296)", {}, false});
        check.push_back(
            Statement{"SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM categories)",
                      {},
                      false});
        const auto r = co_await tx.execute(std::move(check));
        if (int_of(r.at(1).rows.at(0).at(0)) > 0) co_return false;
        const auto now = text_of(now_ms());
        std::vector<Statement> inserts;
        for (const auto& c : demo.categories)
          inserts.push_back({"INSERT INTO categories(slug, name, created_at) VALUES ($1,$2,$3)",
                             {c.slug, c.name, now}});
        for (const auto& p : demo.products)
          inserts.push_back(
              {"INSERT INTO products(product_id, sku, name, description, price, category, stock, "
               "reserved, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,$8)",
               {p.product_id, p.sku, p.name, p.description, text_of(p.price), p.category_slug,
                text_of(p.stock), now}});
        co_await tx.execute(std::move(inserts));
        co_return true;
      });
  co_await db_.wrote();
  co_return outcome;
}

}  // namespace orderflow::backends
