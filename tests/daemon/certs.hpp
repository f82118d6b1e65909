#pragma once

// Certificates made at test time by tests/daemon/make_certs.sh (CNs n1, n2,
// client, mallory from ca1; rogue from ca2), and configs and CLI calls that
// use them.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "daemon_process.hpp"

namespace switchboard::test {

struct certs {
  scratch s;

  certs() {
    auto made = run({"/bin/bash", TLS_CERT_SCRIPT, s.dir});
    REQUIRE(made.exit_code == 0);
  }

  std::string tls(const std::string& cert) const {
    return "[tls]\ncertificate = \"" + cert + ".pem\"\nkey = \"" + cert
           + ".key\"\nca = \"ca1.pem\"\n";
  }

  std::string node(const std::string& name, const std::string& cert,
                   const std::string& peer_port = {},
                   const std::string& extra = {}) {
    std::string text = "[node]\nname = \"" + name
                       + "\"\nlisten = \"127.0.0.1:0\"\ndrain = \"1s\"\n\n"
                       + tls(cert) + "\n";
    if (!peer_port.empty())
      text += "[[peer]]\nconnect = \"127.0.0.1:" + peer_port + "\"\n\n";
    text += "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n\n"
            "[[route]]\nname = \""
            + name + ".secret\"\nhandler = \"echo\"\n\n";
    return text + extra;
  }

  /// `switchboard ARGS... --connect node` as the holder of `cert`.
  process_result as(const std::string& cert, const daemon_process& node,
                    std::vector<std::string> args) {
    std::vector<std::string> full{bin,          args[0],
                                  "--connect",  node.address,
                                  "--tls-cert", s.dir + "/" + cert + ".pem",
                                  "--tls-key",  s.dir + "/" + cert + ".key",
                                  "--tls-ca",   s.dir + "/ca1.pem"};
    full.insert(full.end(), args.begin() + 1, args.end());
    return run(full);
  }
};

} // namespace switchboard::test
