#include "http/request_reading.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <string_view>

namespace orderflow::http::reading {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {
bool client_left(boost::system::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::eof;
}

ApiError target_too_long(const ServerOptions& options) {
  return ApiError(
      414, "uri_too_long",
      "the request target exceeds " + std::to_string(options.max_target_bytes) + " bytes");
}

ApiError too_large(const ServerOptions& options) {
  return ApiError(413, "payload_too_large",
                  "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
}

// Header fields over the limit: 414 when the request target alone is too long, else 431.
ApiError header_too_large(const Parser& parser, const beast::flat_buffer& buffer,
                          const ServerOptions& options) {
  // Beast may have parsed the request line already (then the target is known), or not.
  auto target_size = parser.get().target().size();
  if (target_size == 0) {
    const std::string_view head(static_cast<const char*>(buffer.data().data()),
                                buffer.data().size());
    target_size = std::min(head.find("\r\n"), head.size());
  }
  if (target_size > options.max_target_bytes) return target_too_long(options);
  return ApiError(
      431, "header_too_large",
      "the request's header fields exceed " + std::to_string(options.max_header_bytes) + " bytes");
}

// RFC 9112 §3.2 (Host), §6.1 and §6.3 (transfer codings: a request whose body length cannot be
// told for sure must not be read at all, or the rest would run as a second request).
std::optional<ApiError> framing_error(const Parser& parser, const ServerOptions& options) {
  const auto& msg = parser.get();
  const auto hosts = msg.count(bhttp::field::host);
  if (hosts > 1 || (hosts == 0 && msg.version() >= 11))
    return http_error(core::validation_failed("an HTTP/1.1 request needs exactly one Host header"));
  if (msg.count(bhttp::field::transfer_encoding) &&
      !beast::iequals(msg[bhttp::field::transfer_encoding], "chunked"))
    return http_error(core::validation_failed("the only transfer coding accepted is chunked"));
  if (msg.target().size() > options.max_target_bytes) return target_too_long(options);
  return std::nullopt;
}
}  // namespace

std::size_t buffer_limit(const ServerOptions& options) {
  return options.max_header_bytes + 4096;
}

void set_limits(Parser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
}

boost::system::error_code parse_buffered(Parser& parser, beast::flat_buffer& buffer) {
  boost::system::error_code ec;
  while (buffer.size() > 0 && !parser.is_done()) {
    const auto used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_more) return {};
    if (ec) return ec;
    if (used == 0) break;
  }
  return {};
}

Verdict after_header(boost::system::error_code ec, const Parser& parser,
                     const beast::flat_buffer& buffer, const ServerOptions& options) {
  // Beast refuses a declared Content-Length above the limit while reading the header.
  if (ec == bhttp::error::body_limit) return {Next::refuse, too_large(options)};
  if (ec && client_left(ec)) return {Next::close, std::nullopt};
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return {Next::refuse, header_too_large(parser, buffer, options)};
  if (ec) return {Next::refuse, http_error(core::validation_failed("malformed HTTP request"))};
  if (auto error = framing_error(parser, options)) return {Next::refuse, std::move(error)};
  // Refuse an oversized body from its declared length, before reading any of it.
  const auto declared = parser.content_length();
  if (declared && *declared > options.max_body_bytes) return {Next::refuse, too_large(options)};
  return {parser.is_done() ? Next::serve : Next::read_body, std::nullopt};
}

Verdict after_body(boost::system::error_code ec, const ServerOptions& options) {
  if (!ec) return {Next::serve, std::nullopt};
  if (ec == bhttp::error::body_limit) return {Next::refuse, too_large(options)};
  if (client_left(ec)) return {Next::close, std::nullopt};
  // A malformed chunk, or a chunk line longer than the buffer.
  return {Next::refuse,
          http_error(core::validation_failed("malformed request body: " + ec.message()))};
}

Request partial_request(const Parser::value_type& msg, const Request& peer) {
  Request r = peer;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& f : msg) r.headers.emplace(std::string(f.name_string()), std::string(f.value()));
  return r;
}

Request to_request(Parser::value_type& msg, const Request& peer) {
  Request r = partial_request(msg, peer);
  r.body = std::move(msg.body());
  auto url = boost::urls::parse_origin_form(r.target);
  if (!url) throw http_error(core::validation_failed("malformed request target"));
  r.path = url->path();
  for (const auto& p : url->params()) r.query.emplace(p.key, p.value);
  return r;
}

}  // namespace orderflow::http::reading
