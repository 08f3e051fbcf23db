// The two HTTP routers: Discord's REST API (api port) and fakecord's control API (control port).
// Pure: the network layer parses HTTP, calls these, writes the response and starts the bursts.
#pragma once

#include <vector>

#include "fakecord/burst.hpp"
#include "fakecord/clock.hpp"
#include "fakecord/http_util.hpp"

namespace fakecord {

class Hub;

HttpResponse handle_rest(Hub& hub, const HttpRequest& request, TimePoint now);

struct RouteResult {
  HttpResponse response;
  std::vector<BurstJob> bursts;  // for the network layer to run
};
RouteResult handle_control(Hub& hub, const HttpRequest& request, TimePoint now);

}  // namespace fakecord
