#include "core/ports/queue.hpp"

#include <algorithm>

#include "base/ids.hpp"

namespace orderflow::queue {

std::string dedup_id_of(const OutgoingMessage& m) {
  return m.dedup_id ? *m.dedup_id : sha256_hex(m.body);
}

milliseconds retry_delay(const QueueOptions& options, int receive_count) {
  const auto& delays = options.retry_delays;
  if (delays.empty()) return milliseconds{0};
  const auto index = static_cast<std::size_t>(std::max(1, receive_count) - 1);
  const auto base = delays[std::min(index, delays.size() - 1)].count();
  const auto spread = base / 10;
  if (spread == 0) return milliseconds{base};
  return milliseconds{
      base - spread +
      static_cast<std::int64_t>(random_below(static_cast<std::uint64_t>(2 * spread + 1)))};
}

}  // namespace orderflow::queue
