// Fuzzes `core::mesh_table` with arbitrary sequences of link changes and
// advertisements, checked after every step against a model kept here.
//
// The input is a program over a small world (the table's node "A", peers
// "B".."F", routes "r0".."r3", links 0..3), one operation per byte and its
// operands from the following bytes:
//   op % 4 == 0, 1: set_link(link, peer, adverts), with up to 7 adverts of
//                   up to 5 nodes each (any node, repeats included);
//   op % 4 == 2:    drop_link(link);
//   op % 4 == 3:    set_local(a subset of the routes).
//
// Invariants after each step, for every route: no next hop uses a link that
// is gone; a hop's path starts at the peer of its link, never holds this
// node and never visits a node twice (no loops); the hops are exactly the
// live links whose advert for the route is one of the shortest usable ones;
// a local route has no hops; `remote()` lists exactly the non-local routes
// with hops. What the table advertises on a link: sorted by route, one
// advert per route, every path starting at this node, loop-free, and never
// running through that link's peer.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "switchboard/core/mesh_table.hpp"

using namespace switchboard;

namespace {

const std::string self = "A";
const std::vector<std::string> nodes = {"A", "B", "C", "D", "E", "F"};
const std::vector<std::string> routes = {"r0", "r1", "r2", "r3"};
constexpr uint64_t link_count = 4;

/// Reads operands; past the end, every read gives 0.
struct reader {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;

  bool done() const {
    return pos >= size;
  }

  uint8_t next() {
    return pos < size ? data[pos++] : 0;
  }
};

bool has_repeat(const std::vector<std::string>& path) {
  std::set<std::string> seen(path.begin(), path.end());
  return seen.size() != path.size();
}

bool contains(const std::vector<std::string>& path, const std::string& x) {
  return std::find(path.begin(), path.end(), x) != path.end();
}

struct model_link {
  std::string peer;
  std::vector<core::advert> adverts;
};

/// The shortest usable path `link` advertises for `route`, or nullptr.
const std::vector<std::string>* usable(const model_link& link,
                                       const std::string& route) {
  const std::vector<std::string>* best = nullptr;
  for (auto& x : link.adverts) {
    if (x.route != route || x.path.empty() || x.path.front() != link.peer
        || contains(x.path, self) || has_repeat(x.path))
      continue;
    if (best == nullptr || x.path.size() < best->size())
      best = &x.path;
  }
  return best;
}

void check(const core::mesh_table& table,
           const std::map<uint64_t, model_link>& links,
           const std::set<std::string>& local) {
  FUZZ_CHECK(table.local() == local);
  auto remote = table.remote();
  for (auto& route : routes) {
    auto hops = table.next_hops(route);
    // The model: the live links with the shortest usable path.
    std::set<uint64_t> want;
    size_t best = SIZE_MAX;
    if (local.count(route) == 0)
      for (auto& [id, link] : links)
        if (auto p = usable(link, route)) {
          if (p->size() < best) {
            best = p->size();
            want.clear();
          }
          if (p->size() == best)
            want.insert(id);
        }
    std::set<uint64_t> got;
    for (auto& hop : hops) {
      auto i = links.find(hop.link);
      FUZZ_CHECK(i != links.end()); // never via a link that is gone
      FUZZ_CHECK(!hop.path.empty());
      FUZZ_CHECK(hop.path.front() == i->second.peer);
      FUZZ_CHECK(!contains(hop.path, self));
      FUZZ_CHECK(!has_repeat(hop.path)); // no loop
      FUZZ_CHECK(hop.path.size() == best);
      FUZZ_CHECK(got.insert(hop.link).second);
    }
    FUZZ_CHECK(got == want);
    auto i = remote.find(route);
    if (hops.empty()) {
      FUZZ_CHECK(i == remote.end());
    } else {
      FUZZ_CHECK(i != remote.end());
      FUZZ_CHECK(i->second.size() == hops.size());
    }
  }
  for (auto& [route, hops] : remote) {
    FUZZ_CHECK(local.count(route) == 0);
    FUZZ_CHECK(!hops.empty());
  }
  for (uint64_t link = 0; link <= link_count; ++link) {
    auto xs = table.adverts_for(link);
    std::string peer;
    if (auto i = links.find(link); i != links.end())
      peer = i->second.peer;
    std::set<std::string> seen;
    for (size_t k = 0; k < xs.size(); ++k) {
      auto& x = xs[k];
      FUZZ_CHECK(k == 0 || xs[k - 1].route < x.route);
      FUZZ_CHECK(seen.insert(x.route).second);
      FUZZ_CHECK(!x.path.empty() && x.path.front() == self);
      FUZZ_CHECK(!has_repeat(x.path));
      if (local.count(x.route) != 0) {
        FUZZ_CHECK(x.path.size() == 1);
        continue;
      }
      FUZZ_CHECK(x.path.size() >= 2);
      // Never a path that runs through the peer it goes to (the node
      // itself heads it, whatever the peer calls itself).
      std::vector<std::string> via{x.path.begin() + 1, x.path.end()};
      FUZZ_CHECK(peer.empty() || !contains(via, peer));
      FUZZ_CHECK(remote.count(x.route) != 0);
    }
    for (auto& route : local)
      FUZZ_CHECK(seen.count(route) != 0);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  reader in{data, size};
  core::mesh_table table{self};
  std::map<uint64_t, model_link> links;
  std::set<std::string> local;
  while (!in.done()) {
    auto op = in.next();
    switch (op % 4) {
    case 0:
    case 1: {
      auto link = uint64_t{in.next()} % link_count;
      model_link entry;
      entry.peer = nodes[in.next() % nodes.size()];
      auto n = in.next() % 8;
      for (int k = 0; k < n; ++k) {
        core::advert x;
        x.route = routes[in.next() % routes.size()];
        auto len = in.next() % 6;
        for (int j = 0; j < len; ++j)
          x.path.push_back(nodes[in.next() % nodes.size()]);
        entry.adverts.push_back(std::move(x));
      }
      table.set_link(link, entry.peer, entry.adverts);
      links[link] = std::move(entry);
      break;
    }
    case 2: {
      auto link = uint64_t{in.next()} % link_count;
      table.drop_link(link);
      links.erase(link);
      break;
    }
    default: {
      auto bits = in.next();
      local.clear();
      for (size_t k = 0; k < routes.size(); ++k)
        if (bits & (1u << k))
          local.insert(routes[k]);
      table.set_local(local);
    }
    }
    check(table, links, local);
  }
  return 0;
}
