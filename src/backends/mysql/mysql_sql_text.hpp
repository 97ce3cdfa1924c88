#pragma once
// Statements whose length follows a batch: a statement's `{name}` slot filled with a unit
// ("(?, ?)", "?") repeated once per row, so that a batch is one statement whatever its size.
#include <string>
#include <string_view>

namespace orderflow::backends {

// "unit, unit, …" (`n` ≥ 1 times, joined by `separator`).
std::string repeated(std::string_view unit, std::size_t n, std::string_view separator = ", ");

// `sql` with its slot `{name}` replaced by `text`; throws std::logic_error when there is none.
std::string with_slot(std::string sql, std::string_view name, std::string_view text);

}  // namespace orderflow::backends
