// The main() of a cluster process:
//
//   class MyBot : public megane::ClusterWorker { ... };
//   int main(int argc, char** argv) { return megane::run<MyBot>(argc, argv); }
//
// run() reads the environment meganed set, connects and handshakes, constructs the worker,
// runs launch(), answers the daemon's pings, and on SIGTERM/SIGINT (or when the daemon goes
// away) runs shutdown() within MEGANE_STOP_TIMEOUT_MS. It returns the exit code:
//   0                       stopped cleanly
//   1                       launch() threw, the daemon could not be reached, protocol error
//   megane::do_not_restart  not started by meganed, bad environment, or the daemon refused us
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <utility>

#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/exit_codes.hpp>

namespace megane {
namespace detail {

using ClusterWorkerFactory = std::function<std::unique_ptr<ClusterWorker>(ClusterContext)>;

// Everything run<W>() does, except constructing W; kept out of the header so bots do not
// compile the runtime.
int run_cluster(int argc, char** argv, const ClusterWorkerFactory& make_worker);

}  // namespace detail

// Constructs the worker as W(ClusterContext, args...) once the handshake succeeded.
template <class W, class... Args>
  requires std::derived_from<W, ClusterWorker> &&
           std::constructible_from<W, ClusterContext, Args&&...>
int run(int argc, char** argv, Args&&... args) {
  return detail::run_cluster(
      argc, argv, [&](ClusterContext context) -> std::unique_ptr<ClusterWorker> {
        return std::make_unique<W>(std::move(context), std::forward<Args>(args)...);
      });
}

}  // namespace megane
