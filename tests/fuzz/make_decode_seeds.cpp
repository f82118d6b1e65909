// Writes the seed corpus of fuzz_decode: real messages of the mesh and
// front door protocols, serialized as BASP carries them (a `caf::message`
// through CAF's binary_serializer), on a system configured by
// `configure_mesh`. Run: fuzz_decode_seeds tests/fuzz/corpus/decode
// (a build target only when asked for: `ninja fuzz_decode_seeds`). Only
// types the transport allows (frame_guard::allowed_types): a seed it
// refuses is skipped by the target.

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/error.hpp"
#include "switchboard/mesh.hpp"

using namespace switchboard;
using namespace switchboard::detail;

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  caf::actor_system_config cfg;
  configure_mesh(cfg, nullptr);
  caf::actor_system sys{cfg};
  auto write = [&](const std::string& name, caf::message msg) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(msg))
      throw std::runtime_error(sys.render(err));
    std::ofstream out{std::string{argv[1]} + "/" + name, std::ios::binary};
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  };
  auto text = [](std::string x) {
    return wire_payload::of(caf::make_message(std::move(x)));
  };
  write("requests",
        caf::make_message(
          requests_atom::value,
          std::vector<wire_request>{{1, 5'000'000'000, "echo", text("hello")},
                                    {2, 0, "size",
                                     wire_payload::of(caf::make_message(
                                       int32_t{7}, std::string{"x"}))}}));
  write("requests_bytes",
        caf::make_message(
          requests_atom::value,
          std::vector<wire_request>{{3, 1'000'000, "blob",
                                     wire_payload::of(caf::make_message(
                                       std::vector<char>{'a', 'b'}, true,
                                       std::vector<std::string>{"e", "f"}))}}));
  write("replies",
        caf::make_message(
          replies_atom::value,
          std::vector<wire_reply>{
            {1, text("HELLO"), caf::error{}},
            {2, wire_payload{},
             make_error(error_code::no_such_route, "route 'x': no such route")},
            {3, wire_payload{}, caf::make_error(caf::sec::request_timeout)}}));
  write("adverts", caf::make_message(advert_atom::value,
                                     std::vector<core::advert>{
                                       {"echo", {"B"}}, {"far", {"B", "C"}}}));
  write("ping", caf::make_message(ping_atom::value));
  write("list", caf::make_message(list_atom::value));
  write("call_text", caf::make_message(call_atom::value, std::string{"echo"},
                                       std::string{"payload"}));
  write("call_mixed",
        caf::make_message(call_atom::value, std::string{"sum"}, int64_t{1},
                          int16_t{-2}, std::vector<char>{1, 2, 3}));
  core::route_info info;
  info.name = "echo";
  info.kind = "function";
  info.workers = 2;
  info.origin = "B";
  write("route_list", caf::make_message(std::vector<core::route_info>{info}));
  write("reply_value", caf::make_message(reply_atom::value, uint64_t{9},
                                         caf::make_message(std::string{"v"})));
  return 0;
}
