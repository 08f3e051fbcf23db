// The main() of a cluster or service process:
//
//   class MyBot : public megane::ClusterWorker { ... };      // or megane::ServiceWorker
//   int main(int argc, char** argv) { return megane::run<MyBot>(argc, argv); }
//
// run() reads the environment meganed set, checks that its role matches W's base, connects
// and handshakes, constructs the worker, runs launch(), answers the daemon's pings, delivers
// commands and events, and on SIGTERM/SIGINT (or when the daemon goes away) runs shutdown()
// within MEGANE_STOP_TIMEOUT_MS. It returns the exit code:
//   0                       stopped cleanly
//   1                       launch() threw, the daemon could not be reached, protocol error
//   megane::do_not_restart  not started by meganed, bad environment or wrong role, or the
//                           daemon refused us
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <utility>

#include <megane/proto/messages.hpp>
#include <megane/sdk/cluster_worker.hpp>
#include <megane/sdk/environment.hpp>
#include <megane/sdk/exit_codes.hpp>
#include <megane/sdk/service_worker.hpp>

namespace megane {
namespace detail {

// Builds the worker once the handshake succeeded, from the common context, the daemon's
// hello_ok and the environment.
using WorkerFactory =
    std::function<std::unique_ptr<Worker>(WorkerContext, const proto::HelloOk&, const Environment&)>;

// Everything run<W>() does, except constructing W; kept out of the header so bots do not
// compile the runtime. `role` is the role W was written for.
int run_worker(int argc, char** argv, proto::Role role, const WorkerFactory& make_worker);

ClusterContext cluster_context(WorkerContext base, const proto::HelloOk& ok, const Environment& env);
ServiceContext service_context(WorkerContext base, const proto::HelloOk& ok, const Environment& env);

}  // namespace detail

// Constructs the worker as W(ClusterContext, args...) or W(ServiceContext, args...),
// depending on W's base class, once the handshake succeeded.
template <class W, class... Args>
  requires(std::derived_from<W, ClusterWorker> &&
           std::constructible_from<W, ClusterContext, Args && ...>) ||
          (std::derived_from<W, ServiceWorker> &&
           std::constructible_from<W, ServiceContext, Args && ...>)
int run(int argc, char** argv, Args&&... args) {
  constexpr bool is_cluster = std::derived_from<W, ClusterWorker>;
  return detail::run_worker(
      argc, argv, is_cluster ? proto::Role::cluster : proto::Role::service,
      [&](WorkerContext base, const proto::HelloOk& ok,
          const Environment& env) -> std::unique_ptr<Worker> {
        if constexpr (is_cluster) {
          return std::make_unique<W>(detail::cluster_context(std::move(base), ok, env),
                                     std::forward<Args>(args)...);
        } else {
          return std::make_unique<W>(detail::service_context(std::move(base), ok, env),
                                     std::forward<Args>(args)...);
        }
      });
}

}  // namespace megane
