// The HTTP listener over cpp-httplib: TLS, request ids, the request funnel and inherited sockets.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <random>
#include <thread>

#include "core/log.h"
#include "server/bounded_pool.h"

namespace sms::server {
namespace {

// Requests one keep-alive connection may carry before the server closes it (cpp-httplib's
// default, 5, made clients reconnect every fifth webhook: an accept, a hand-over to a worker
// thread and a TCP handshake that cost ~6% of serve's CPU per webhook). Bounded, as in nginx,
// so that long-lived connections from a load balancer are still spread over instances. While
// a connection waits for a worker, responses ask their clients to close instead (see
// install() and BoundedPool::hand_on), so that kept-alive connections cannot hold every
// worker for long.
constexpr std::size_t kRequestsPerConnection = 1000;

// 16 hex digits from a per-thread generator: a request id only has to be unique enough to find
// one request in the logs, not secret (OpenSSL's generator cost ~2% of a webhook's instructions
// and a getpid call).
std::string new_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return fmt::format("{:016x}", generator());
}

// A client-supplied X-Request-Id is kept when it is short and harmless, so ids can be traced
// across a load balancer; otherwise we make one.
std::string request_id_from(const httplib::Request& req) {
  std::string id = req.get_header_value("X-Request-Id");
  bool sane = !id.empty() && id.size() <= 64;
  for (char c : id) sane = sane && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  return sane ? id : new_request_id();
}

// The request this thread serves, as the pre-routing handler saw it. cpp-httplib runs the
// pre-routing handler, the route and the logger of one request on one thread, one after the
// other; the logger runs after every response and clears this, so a request that fails before
// pre-routing (a malformed request line) logs no earlier request's id. (Kept in request headers
// instead, a client's own X-Request-Id came first and was used even when refused as unsafe.)
struct CurrentRequest {
  std::string id;
  std::chrono::steady_clock::time_point start{};
};
thread_local CurrentRequest current_request;

// The errors cpp-httplib answers before our handlers run, in our JSON shape.
Response http_layer_error(int status) {
  switch (status) {
    case 400:
      return error_response(400, "bad_request",
                            "malformed request line or headers (one header line is at most 8,192 bytes)");
    case 413: return error_response(413, "payload_too_large", "request body too large (server.maxBodyBytes)");
    case 414: return error_response(414, "uri_too_long", "request line over 8,192 bytes");
    default:
      return error_response(status, "http_error",
                            "request rejected by the HTTP layer (HTTP " + std::to_string(status) + ")");
  }
}

std::size_t header_bytes(const httplib::Request& req) {
  std::size_t n = 0;
  for (const auto& [k, v] : req.headers) n += k.size() + v.size() + 4;  // ": " and CRLF
  return n;
}

// The OpenSSL reason for the last failure, for an operator's error message.
std::string openssl_error() {
  char buf[256] = "unknown OpenSSL error";
  if (auto e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// HTTPS with the given PEM files, TLS 1.2 or newer; the reason is kept when they do not load.
std::unique_ptr<httplib::Server> make_tls_server(const ListenOptions& o, std::string& error) {
  return std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, o.tls_cert.c_str()) != 1)
      error = "cannot load server.tls.cert " + o.tls_cert + ": " + openssl_error();
    else if (SSL_CTX_use_PrivateKey_file(&ctx, o.tls_key.c_str(), SSL_FILETYPE_PEM) != 1)
      error = "cannot load server.tls.key " + o.tls_key + ": " + openssl_error();
    else if (SSL_CTX_check_private_key(&ctx) != 1)
      error = "server.tls.key does not match server.tls.cert: " + openssl_error();
    return error.empty();
  });
}

Request to_request(const httplib::Request& req, std::string body) {
  Request r;
  r.method = req.method;
  r.target = req.target.empty() ? req.path : req.target;
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
  r.body = std::move(body);
  r.remote_addr = req.remote_addr;
  r.request_id = current_request.id;
  return r;
}

// cpp-httplib keeps its listening socket in a protected member; an inherited socket is put there
// directly (bind_internal would only create and bind a new one).
struct ListeningSocket : httplib::Server {
  static std::atomic<socket_t>& of(httplib::Server& server) { return server.*(&ListeningSocket::svr_sock_); }
};

// How often an adopted socket's accept loop looks for stop(): cpp-httplib's own stop() wakes
// the loop by shutting the socket down, which would also reset the connections waiting in the
// backlog that the next process is to take over.
constexpr auto kAcceptPollInterval = std::chrono::milliseconds(100);

void apply(const Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  to.set_content(from.body, from.content_type);
}

}  // namespace

struct HttpServer::Impl {
  ListenOptions options;
  Router router;
  std::string tls_error;
  std::unique_ptr<httplib::Server> owned_server;
  httplib::Server& server;
  std::atomic<int> listen_fd{-1};
  std::atomic<BoundedPool*> pool{nullptr};
  std::atomic<bool> started{false}, stopping{false}, finished{false}, adopted{false}, released{false};

  // Runs the router for one request whose body has been read.
  Impl(ListenOptions o, Router r)
      : options(std::move(o)),
        router(std::move(r)),
        owned_server(options.tls_cert.empty() ? std::make_unique<httplib::Server>()
                                              : make_tls_server(options, tls_error)),
        server(*owned_server) {}

  void handle(const httplib::Request& req, httplib::Response& res, std::string body) {
    auto request = to_request(req, std::move(body));
    log::Scope fields({{"requestId", request.request_id}});
    request.tls = !options.tls_cert.empty();
    apply(router.dispatch(request), res);
  }

  // Limits checked before routing; nullopt when the request may proceed.
  std::optional<Response> refusal(const httplib::Request& req) const {
    if (BoundedPool::over_capacity()) {
      auto r = error_response(503, "server_busy",
                              "too many connections (server.maxConnections); retry shortly");
      r.headers.emplace_back("Retry-After", "1");
      r.headers.emplace_back("Connection", "close");
      return r;
    }
    if (req.headers.size() > kMaxHeaderCount || header_bytes(req) > options.max_header_bytes)
      return error_response(431, "headers_too_large",
                            "request headers exceed " + std::to_string(kMaxHeaderCount) + " fields or " +
                                std::to_string(options.max_header_bytes) + " bytes (server.maxHeaderBytes)");
    return std::nullopt;
  }

  void install() {
    auto threads = static_cast<std::size_t>(options.threads);
    auto admitted = static_cast<std::size_t>(options.max_connections);
    server.new_task_queue = [this, threads, admitted] {
      auto* p = new BoundedPool(threads, admitted);
      pool = p;
      return p;
    };
    server.set_socket_options([this](socket_t fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);  // inherited by accepted sockets
      listen_fd = fd;
    });
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(kRequestsPerConnection);
    server.set_payload_max_length(options.max_body_bytes);
    server.set_read_timeout(options.read_timeout);
    server.set_write_timeout(options.write_timeout);
    server.set_keep_alive_timeout(
        std::max<time_t>(1, static_cast<time_t>(options.idle_timeout.count() / 1000)));

    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      current_request = {request_id_from(req), std::chrono::steady_clock::now()};
      auto refused = refusal(req);
      res.set_header("X-Request-Id", current_request.id);
      // Hand the worker on to a connection that waits for one (clients close on this header;
      // cpp-httplib itself would keep serving this connection).
      // While stopping, every response asks its client to close, so keep-alive connections end
      // after a request instead of being cut off with one in flight.
      if (auto* p = pool.load(); stopping || (!refused && p && p->hand_on())) res.set_header("Connection", "close");
      if (!refused) return httplib::Server::HandlerResponse::Unhandled;
      apply(*refused, res);
      return httplib::Server::HandlerResponse::Handled;
    });

    auto plain = [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, {});
    };
    auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      std::string body;
      bool too_large = req.get_header_value<std::uint64_t>("Content-Length") > options.max_body_bytes;
      if (!too_large) reader([&](const char* data, std::size_t len) {
        if (body.size() + len > options.max_body_bytes) {
          too_large = true;
          return false;
        }
        body.append(data, len);
        return true;
      });
      if (too_large) {
        apply(error_response(413, "payload_too_large",
                             "request body exceeds " + std::to_string(options.max_body_bytes) +
                                 " bytes (server.maxBodyBytes)"),
              res);
        return;
      }
      handle(req, res, std::move(body));
    };
    server.Get(".*", plain);
    server.Delete(".*", plain);
    server.Options(".*", plain);
    server.Post(".*", with_body);
    server.Put(".*", with_body);
    server.Patch(".*", with_body);

    // Errors cpp-httplib produces itself (413 before our handler, 400 bad request line, ...)
    // get the same JSON shape as ours.
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      apply(http_layer_error(res.status), res);
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          spdlog::error("unhandled exception on {} {}: {}", req.method, req.path, what);
          apply(error_response(500, "internal_error", "internal error; see the server log"), res);
        });
    server.set_logger([name = options.name](const httplib::Request& req, const httplib::Response& res) {
      double ms = current_request.start == std::chrono::steady_clock::time_point{}
                      ? 0
                      : std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - current_request.start).count();
      spdlog::info("{} {} {} {} {:.2f}ms id={} from={}", name, req.method, req.path, res.status, ms, current_request.id,
                   req.remote_addr);
      current_request = {};
    });
  }
};

HttpServer::HttpServer(ListenOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {
  impl_->install();
}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::bind() {
  if (!impl_->server.is_valid())
    return fail(ErrorKind::config, impl_->tls_error.empty() ? "cannot set up TLS" : impl_->tls_error);
  int port = impl_->options.port == 0
                 ? impl_->server.bind_to_any_port(impl_->options.host)
                 : (impl_->server.bind_to_port(impl_->options.host, impl_->options.port)
                        ? impl_->options.port
                        : -1);
  if (port <= 0)
    return fail(ErrorKind::config, "cannot listen on " + impl_->options.host + ":" +
                                       std::to_string(impl_->options.port) +
                                       ": address in use or not available (" + impl_->options.keys + ")");
  // cpp-httplib listens with a backlog of 5; listening again on the bound socket resizes it.
  if (int fd = impl_->listen_fd; fd >= 0) ::listen(fd, impl_->options.backlog);
  return port;
}

Result<int> HttpServer::adopt(int listening_fd) {
  if (!impl_->server.is_valid())
    return fail(ErrorKind::config, impl_->tls_error.empty() ? "cannot set up TLS" : impl_->tls_error);
  sockaddr_storage address{};
  socklen_t len = sizeof address;
  if (::getsockname(listening_fd, reinterpret_cast<sockaddr*>(&address), &len) != 0 ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6))
    return fail(ErrorKind::config, "the inherited " + impl_->options.name + " socket is not a TCP socket");
  int yes = 1;
  setsockopt(listening_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);  // inherited by accepted sockets
  impl_->server.set_idle_interval(kAcceptPollInterval);
  ListeningSocket::of(impl_->server) = listening_fd;
  impl_->listen_fd = listening_fd;
  impl_->adopted = true;
  char text[INET6_ADDRSTRLEN] = "";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (address.ss_family == AF_INET) ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
  else ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
  impl_->options.host = text;
  return static_cast<int>(ntohs(address.ss_family == AF_INET ? v4->sin_port : v6->sin6_port));
}

const std::string& HttpServer::host() const { return impl_->options.host; }

void HttpServer::run() {
  impl_->started = true;
  if (!impl_->stopping) impl_->server.listen_after_bind();
  impl_->pool = nullptr;  // deleted by cpp-httplib when listening ends
  impl_->finished = true;
}

// stop() may come from another thread before run() has started listening: then either run()
// sees `stopping` and returns, or it has started and we wait for it to be running to stop it.
void HttpServer::stop() {
  impl_->stopping = true;
  if (!impl_->started) return;
  for (int i = 0; i < 5000 && !impl_->finished && !impl_->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!impl_->adopted) {
    impl_->server.stop();
    return;
  }
  // The accept loop takes a socket that is not listening in place of the inherited one: its next
  // poll or accept fails and it ends, and the inherited socket stays open and listening for the
  // next process. Connections in hand go on until they close (each response now asks them to);
  // cpp-httplib ends an idle one after server.idleTimeout.
  if (impl_->released.exchange(true)) return;
  int not_listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ListeningSocket::of(impl_->server).exchange(not_listening);
}

}  // namespace sms::server
