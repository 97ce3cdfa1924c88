// Asio's TLS support, compiled once (BOOST_ASIO_SEPARATE_COMPILATION), for the AWS clients: the
// only part of the program that speaks TLS itself.
#include <boost/asio/ssl/impl/src.hpp>
