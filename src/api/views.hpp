#pragma once
// JSON views shared by the HTTP handlers and the command line.
#include <boost/json/object.hpp>

#include "core/ports/queue.hpp"

namespace orderflow::api {

boost::json::object queue_stats_json(const queue::QueueStats& s);
boost::json::object dead_letter_json(const queue::DeadLetter& d);

}  // namespace orderflow::api
