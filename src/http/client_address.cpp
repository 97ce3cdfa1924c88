#include "http/client_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <algorithm>
#include <stdexcept>

namespace orderflow::http {

namespace ip = boost::asio::ip;

struct TrustedProxies::Networks {
  std::vector<ip::network_v4> v4;
  std::vector<ip::network_v6> v6;

  // Networks are kept canonical: an address is in one when its own network of the same
  // prefix length is that network.
  bool contains(const ip::address& a) const {
    if (a.is_v4())
      return std::any_of(v4.begin(), v4.end(), [&](const auto& n) {
        return ip::network_v4(a.to_v4(), n.prefix_length()).canonical() == n;
      });
    return std::any_of(v6.begin(), v6.end(), [&](const auto& n) {
      return ip::network_v6(a.to_v6(), n.prefix_length()).canonical() == n;
    });
  }
};

TrustedProxies::TrustedProxies() : networks_(std::make_unique<Networks>()) {}
TrustedProxies::~TrustedProxies() = default;
TrustedProxies::TrustedProxies(TrustedProxies&&) noexcept = default;
TrustedProxies& TrustedProxies::operator=(TrustedProxies&&) noexcept = default;

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An address as the server reports peers: an IPv4-mapped IPv6 address as IPv4.
std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(trim(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}
}  // namespace

TrustedProxies TrustedProxies::parse(const std::vector<std::string>& entries) {
  TrustedProxies out;
  for (const auto& entry : entries) {
    boost::system::error_code ec;
    const auto text = std::string(trim(entry));
    const bool cidr = text.find('/') != std::string::npos;
    if (text.find(':') == std::string::npos) {
      auto net =
          cidr ? ip::make_network_v4(text, ec) : ip::network_v4(ip::make_address_v4(text, ec), 32);
      if (!ec) {
        out.networks_->v4.push_back(net.canonical());
        continue;
      }
    } else {
      auto net =
          cidr ? ip::make_network_v6(text, ec) : ip::network_v6(ip::make_address_v6(text, ec), 128);
      if (!ec) {
        out.networks_->v6.push_back(net.canonical());
        continue;
      }
    }
    throw std::invalid_argument("'" + entry + "' is not an IP address or a CIDR network");
  }
  return out;
}

bool TrustedProxies::empty() const {
  return networks_->v4.empty() && networks_->v6.empty();
}

bool TrustedProxies::contains(std::string_view text) const {
  if (empty()) return false;
  const auto a = parse_address(text);
  return a && networks_->contains(*a);
}

void identify_client(Request& request, const TrustedProxies& proxies) {
  const bool from_proxy = proxies.contains(request.peer);
  const bool forwarded = request.header("X-Forwarded-For") || request.header("Forwarded") ||
                         request.header("X-Real-IP");
  request.client_is_local = request.peer_is_loopback && !from_proxy && !forwarded;
  request.client = request.peer;
  if (!from_proxy) return;
  // Every X-Forwarded-For field, as one list, read from the right.
  std::vector<std::string_view> hops;
  const auto [first, last] = request.headers.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    std::string_view list = it->second;
    for (std::size_t start = 0; start <= list.size();) {
      const auto comma = std::min(list.find(',', start), list.size());
      hops.push_back(trim(list.substr(start, comma - start)));
      start = comma + 1;
    }
  }
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const auto a = parse_address(*hop);
    if (!a) return;  // not an address: the peer stays the client
    if (proxies.networks_->contains(*a)) continue;
    request.client = a->to_string();
    return;
  }
}

}  // namespace orderflow::http
