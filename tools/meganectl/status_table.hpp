// Human output of `meganectl status`: a summary line, an aligned table of clusters (and one of
// services, when the bot has any), and one note per cluster or service that has something to
// explain (last exit, pending restart). Pure, unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "meganectl/status.hpp"

namespace megane::ctl {

// Aligned columns, two spaces apart, no trailing blanks; every row has the first row's width.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

// "42s", "5m03s", "1h02m", "3d04h"; "-" for negative or non-finite input.
std::string format_uptime(double seconds);

// Sorted ids as ranges: runs of at least `min_run` consecutive ids become "a-b", the rest are
// listed: {0,1,2,3} -> "0-3"; with min_run 3, {0,1} -> "0,1". Empty -> "-".
std::string format_id_list(std::vector<std::int64_t> ids, std::size_t min_run);

// "example-bot: 4/4 clusters ready, 8 shards (meganed 0.1.0, pid 123, up 1h02m)"
std::string format_summary(const Status& status);

// The whole `status` output, ending with a newline. With a [gateway] section the cluster
// table gains READY (shards ready / shards) and an identify budget line follows it.
std::string format_status(const Status& status);

// `status --shards`: the summary, one row per shard (SHARD CLUSTER STATE LATENCY GUILDS
// DETAIL) and the identify line.
std::string format_shards(const Status& status);

// "identify: 995/1000 left today (reserve 50, resets in 23h59m), 0 in flight, 0 waiting,
// max_concurrency 1", plus "identify blocked: ..." when the budget holds shards back.
std::string format_identify(const GatewayStatus& gateway);

}  // namespace megane::ctl
