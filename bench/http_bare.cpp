// The baseline of the HTTP benchmark: a bare cpp-httplib server that
// answers `POST /v1/call/echo` with the request's own bytes, with the same
// thread count and limits as the node's front door. Prints its port.
//
//   http_bare --threads 64

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <httplib.h>

int main(int argc, char** argv) {
  size_t threads = 16;
  CLI::App app{"http_bare: cpp-httplib echoing POST bodies"};
  app.add_option("--threads", threads, "server threads");
  CLI11_PARSE(app, argc, argv);
  httplib::Server srv;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv.set_keep_alive_max_count(1000);
  // Small replies go out at once, not after the peer's delayed ACK.
  srv.set_tcp_nodelay(true);
  srv.set_payload_max_length(1048576);
  srv.Post(R"(/v1/call/(.+))",
           [](const httplib::Request& req, httplib::Response& res) {
             res.set_content(req.body, "application/octet-stream");
           });
  auto port = srv.bind_to_any_port("127.0.0.1");
  if (port < 0) {
    std::cerr << "cannot listen\n";
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  srv.listen_after_bind();
}
