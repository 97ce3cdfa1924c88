#pragma once
// What the server decides while it reads a request, apart from the I/O itself: the parser's
// limits, the framing rules Beast leaves to its user (RFC 9112), and the answer to each way a
// read can end. The server and the HTTP fuzz target share it, so that the fuzzer reads requests
// exactly as the server does. Includes Beast: for those two only.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>

#include "http/message.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace orderflow::http::reading {

using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The read buffer's bound: a header, a chunk's size line, pipelined requests must fit.
std::size_t buffer_limit(const ServerOptions& options);
void set_limits(Parser& parser, const ServerOptions& options);

// Parses what `buffer` holds, up to the end of this request, without reading: a request that
// arrived whole (the usual case) then costs no second read operation. Returns an error only
// when the bytes are wrong; stopping for more bytes is not one.
boost::system::error_code parse_buffered(Parser& parser, boost::beast::flat_buffer& buffer);

enum class Next {
  read_body,  // the header is fine; read the body
  serve,      // the request is whole
  refuse,     // answer `error`, then close
  close,      // close without an answer (the client left, or timed out)
};
struct Verdict {
  Next next;
  std::optional<ApiError> error;
};

// After the header was read with `ec`.
Verdict after_header(boost::system::error_code ec, const Parser& parser,
                     const boost::beast::flat_buffer& buffer, const ServerOptions& options);
// After the body was read with `ec`.
Verdict after_body(boost::system::error_code ec, const ServerOptions& options);

// The request as handlers see it; throws ApiError (400) for a malformed target.
Request to_request(Parser::value_type& msg, const Request& peer);
// What is known of a request refused before it was read whole: for its log line.
Request partial_request(const Parser::value_type& msg, const Request& peer);

}  // namespace orderflow::http::reading
