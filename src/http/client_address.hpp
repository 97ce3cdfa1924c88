#pragma once
// Who the client of a request is, when proxies stand in between.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace orderflow::http {

// The proxies whose X-Forwarded-For entries are believed (TRUSTED_PROXIES): addresses and
// CIDR networks, IPv4 or IPv6.
class TrustedProxies {
 public:
  TrustedProxies();
  ~TrustedProxies();
  TrustedProxies(TrustedProxies&&) noexcept;
  TrustedProxies& operator=(TrustedProxies&&) noexcept;

  // Throws std::invalid_argument naming an entry that is neither an address nor a network.
  static TrustedProxies parse(const std::vector<std::string>& entries);

  bool empty() const;
  bool contains(std::string_view address) const;

 private:
  friend void identify_client(Request& request, const TrustedProxies& proxies);
  struct Networks;
  std::unique_ptr<Networks> networks_;
};

// Sets request.client and request.client_is_local. The client is the peer, unless the peer is a
// trusted proxy: then it is the rightmost X-Forwarded-For entry that is not a trusted proxy (the
// one the first trusted proxy saw connect; entries left of it are the client's own word).
// Local means the peer is on loopback, is not a trusted proxy, and no forwarding header is
// present: a proxy on this machine could otherwise make any remote client look local.
void identify_client(Request& request, const TrustedProxies& proxies);

}  // namespace orderflow::http
