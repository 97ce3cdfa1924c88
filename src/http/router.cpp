#include "http/router.hpp"

#include <algorithm>

namespace orderflow::http {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto j = path.find('/', i);
    const auto end = j == std::string_view::npos ? path.size() : j;
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Counts literal segments matched, or -1 when the route does not fit the path.
int fit(const std::vector<std::string>& route, const std::vector<std::string>& path) {
  if (route.size() != path.size()) return -1;
  int literals = 0;
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (is_param(route[i])) continue;
    if (route[i] != path[i]) return -1;
    ++literals;
  }
  return literals;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  auto segments = split_path(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const auto segments = split_path(path);
  // The best-fitting template for the path decides; methods only matter among equals.
  int best = -1;
  for (const auto& r : routes_) best = std::max(best, fit(r.segments, segments));
  Match m;
  if (best < 0) return m;
  for (const auto& r : routes_) {
    if (fit(r.segments, segments) != best) continue;
    if (r.method == method) {
      m.handler = &r.handler;
      m.pattern = r.pattern;
      for (std::size_t i = 0; i < r.segments.size(); ++i)
        if (is_param(r.segments[i]))
          m.params[r.segments[i].substr(1, r.segments[i].size() - 2)] = segments[i];
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  }
  if (m.handler) m.allowed.clear();
  return m;
}

}  // namespace orderflow::http
