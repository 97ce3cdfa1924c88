#include "backends/sqlite/sqlite_catalog.hpp"

#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using sqlite::Connection;
using sqlite::Cursor;

namespace {

domain::CatalogProduct product_from_row(const Cursor& r) {
  return {r.text(0), r.text(1),    r.text(2),    r.text(3),    r.integer(4), r.text(5),
          r.text(6), r.integer(7), r.integer(8), r.integer(9), r.integer(10)};
}

std::optional<domain::CatalogProduct> load_product(Connection& c, const std::string& id) {
  auto cur = c.query(std::string(kProductSelect) + " WHERE p.product_id=?1", id);
  if (!cur.next()) return std::nullopt;
  return product_from_row(cur);
}

bool category_exists(Connection& c, const std::string& slug) {
  return c.query("SELECT 1 FROM categories WHERE slug=?1", slug).next();
}

}  // namespace

asio::awaitable<std::vector<domain::Category>> SqliteCatalog::list_categories() {
  co_return co_await db_.read<std::vector<domain::Category>>([](Connection& c) {
    std::vector<domain::Category> out;
    auto cur = c.query(
        "SELECT c.slug, c.name, COUNT(p.product_id) FROM categories c "
        "LEFT JOIN products p ON p.category = c.slug GROUP BY c.slug ORDER BY c.name, c.slug");
    while (cur.next()) out.push_back({cur.text(0), cur.text(1), cur.integer(2)});
    return out;
  });
}

asio::awaitable<bool> SqliteCatalog::create_category(domain::Category cat) {
  co_return co_await db_.write<bool>([&](Connection& c) {
    return c.exec("INSERT OR IGNORE INTO categories(slug, name, created_at) VALUES (?1,?2,?3)",
                  cat.slug, cat.name, now_ms()) == 1;
  });
}

asio::awaitable<ports::Page<domain::CatalogProduct>> SqliteCatalog::list_products(
    ports::ProductFilter f) {
  co_return co_await db_.read<ports::Page<domain::CatalogProduct>>([&](Connection& c) {
    // As for orders: only the filters given enter the SQL; parameter numbers are fixed.
    std::string where = " WHERE 1=1";
    if (f.category) where += " AND p.category=?1";
    if (f.q)
      where += " AND (lower(p.name) LIKE ?2 ESCAPE '\\' OR lower(p.sku) LIKE ?2 ESCAPE '\\')";
    if (f.min_price) where += " AND p.price>=?3";
    if (f.max_price) where += " AND p.price<=?4";
    if (f.in_stock) where += " AND p.stock - p.reserved > 0";
    const std::optional<std::string> pattern =
        f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt;
    ports::Page<domain::CatalogProduct> page;
    {
      auto cur = c.query("SELECT COUNT(*) FROM products p" + where, f.category, pattern,
                         f.min_price, f.max_price);
      cur.next();
      page.total = cur.integer(0);
    }
    auto cur =
        c.query(std::string(kProductSelect) + where + " ORDER BY " +
                    product_order_by(f.sort, "p.name COLLATE NOCASE") + " LIMIT ?5 OFFSET ?6",
                f.category, pattern, f.min_price, f.max_price, f.limit, (f.page - 1) * f.limit);
    while (cur.next()) page.data.push_back(product_from_row(cur));
    return page;
  });
}

asio::awaitable<std::vector<domain::CatalogProduct>> SqliteCatalog::find_products(
    std::vector<std::string> ids) {
  co_return co_await db_.read<std::vector<domain::CatalogProduct>>([&](Connection& c) {
    std::vector<domain::CatalogProduct> out;
    for (const auto& id : ids)
      if (auto p = load_product(c, id)) out.push_back(std::move(*p));
    return out;
  });
}

asio::awaitable<ports::ProductWrite> SqliteCatalog::create_product(domain::ProductFields f) {
  co_return co_await db_.write<ports::ProductWrite>([&](Connection& c) -> ports::ProductWrite {
    const auto id = f.product_id.value_or(uuid_v7());
    if (c.query("SELECT 1 FROM products WHERE product_id=?1 OR sku=?2", id, *f.sku).next())
      return {ports::WriteOutcome::duplicate, std::nullopt};
    if (!category_exists(c, *f.category))
      return {ports::WriteOutcome::unknown_category, std::nullopt};
    const auto now = now_ms();
    c.exec(
        "INSERT INTO products(product_id, sku, name, description, price, category, stock, "
        "reserved, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?8)",
        id, *f.sku, *f.name, f.description.value_or(""), *f.price, *f.category, *f.stock, now);
    return {ports::WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<ports::ProductWrite> SqliteCatalog::update_product(std::string id,
                                                                   domain::ProductFields f) {
  co_return co_await db_.write<ports::ProductWrite>([&](Connection& c) -> ports::ProductWrite {
    auto p = load_product(c, id);
    if (!p) return {ports::WriteOutcome::not_found, std::nullopt};
    if (f.sku && *f.sku != p->sku && c.query("SELECT 1 FROM products WHERE sku=?1", *f.sku).next())
      return {ports::WriteOutcome::duplicate, std::nullopt};
    if (f.category && !category_exists(c, *f.category))
      return {ports::WriteOutcome::unknown_category, std::nullopt};
    if (f.stock && *f.stock < p->reserved)
      return {ports::WriteOutcome::below_reserved, std::nullopt};
    c.exec(
        "UPDATE products SET sku=?2, name=?3, description=?4, price=?5, category=?6, stock=?7, "
        "updated_at=?8 WHERE product_id=?1",
        id, f.sku.value_or(p->sku), f.name.value_or(p->name),
        f.description.value_or(p->description), f.price.value_or(p->price),
        f.category.value_or(p->category_slug), f.stock.value_or(p->stock), now_ms());
    return {ports::WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<ports::ProductWrite> SqliteCatalog::change_inventory(
    std::string id, domain::InventoryChange change) {
  co_return co_await db_.write<ports::ProductWrite>([&](Connection& c) -> ports::ProductWrite {
    auto p = load_product(c, id);
    if (!p) return {ports::WriteOutcome::not_found, std::nullopt};
    const auto [stock, verdict] = domain::apply_inventory_change(p->stock, p->reserved, change);
    if (verdict == domain::InventoryVerdict::negative) return {ports::WriteOutcome::negative, p};
    if (verdict == domain::InventoryVerdict::below_reserved)
      return {ports::WriteOutcome::below_reserved, p};
    c.exec("UPDATE products SET stock=?2, updated_at=?3 WHERE product_id=?1", id, stock, now_ms());
    return {ports::WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<bool> SqliteCatalog::delete_product(std::string id) {
  co_return co_await db_.write<bool>(
      [&](Connection& c) { return c.exec("DELETE FROM products WHERE product_id=?1", id) > 0; });
}

asio::awaitable<bool> SqliteCatalog::load_demo_catalog(domain::DemoCatalog demo) {
  co_return co_await db_.write<bool>([&](Connection& c) {
    auto cur =
        c.query("SELECT (SELECT COUNT(*) FROM products) + (SELECT COUNT(*) FROM categories)");
    cur.next();
    if (cur.integer(0) > 0) return false;
    const auto now = now_ms();
    for (const auto& cat : demo.categories)
      c.exec("INSERT INTO categories(slug, name, created_at) VALUES (?1,?2,?3)", cat.slug, cat.name,
             now);
    for (const auto& p : demo.products)
      c.exec(
          "INSERT INTO products(product_id, sku, name, description, price, category, stock, "
          "reserved, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?8)",
          p.product_id, p.sku, p.name, p.description, p.price, p.category_slug, p.stock, now);
    return true;
  });
}

}  // namespace orderflow::backends
