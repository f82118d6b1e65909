#pragma once

#include <string>
#include <vector>

#include "switchboard/config/node_config.hpp"
#include "switchboard/router.hpp"

namespace switchboard::daemon {

/// A route ready for the router, with the `[[route]]` it came from.
struct planned_route {
  route_spec spec;
  config::route_config source;
};

/// The routes of a node, or every problem that stops them from running.
struct node_plan {
  std::vector<planned_route> routes;
  std::vector<config::problem> problems;
};

/// Turns a parsed configuration into routes, checking what only the
/// machine can tell, each at the position of its value: an unknown
/// built-in; an exec program that does not exist, is a directory or
/// another non-regular file, or is not executable (a bare name is looked
/// up in PATH); a plugin that fails to load or lacks its entry point, or
/// whose routes include a name that `core::route_name_problem` refuses or
/// that another route (of the configuration or of a plugin, or of the
/// same plugin) already has, or a handler without a factory, in which case
/// none of its routes is planned;
/// route options the router would refuse (`core::validate`); a `[tls]`
/// file that cannot be opened for reading (or is a directory). Problems
/// come in document order. Route options come from the route, else from
/// `[limits]`. Does not check that a `[tls]` file holds valid PEM, nor
/// that peers are reachable.
///
/// `serve`, its SIGHUP reload and `check-config` all run exactly this (via
/// `config::load_config_file` first): a plan without problems holds routes
/// with distinct, valid names that the router accepts.
node_plan plan_node(const config::node_config& cfg);

/// Whether two `[[route]]`s configure the same route (positions aside).
bool same_route(const config::route_config& x, const config::route_config& y);

} // namespace switchboard::daemon
