// The outbound HTTP(S) client over cpp-httplib: keep-alive, timeouts, TLS and Retry-After.
#include "http/client.h"

#include <httplib.h>

#include <cctype>
#include <ctime>

#include "core/url.h"

namespace sms::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string Response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(value));
  }
  std::tm tm{};
  if (!strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - std::chrono::system_clock::now());
  return std::max(delta, std::chrono::milliseconds(0));
}

struct Client::Impl {
  Impl(const std::string& url, Timeouts t) : base_url(url), timeouts(t) { reconnect(); }

  // A fresh connection. Used after any transport failure: a keep-alive socket that timed out
  // may still deliver the late answer, which the next request would take for its own.
  void reconnect() {
    client = std::make_unique<httplib::Client>(base_url);
    auto split = [](std::chrono::milliseconds d) {
      return std::pair<time_t, time_t>(static_cast<time_t>(d.count() / 1000), static_cast<time_t>(d.count() % 1000 * 1000));
    };
    auto [cs, cu] = split(timeouts.connect);
    auto [rs, ru] = split(timeouts.read);
    auto [ws, wu] = split(timeouts.write);
    client->set_connection_timeout(cs, cu);
    client->set_read_timeout(rs, ru);
    client->set_write_timeout(ws, wu);
    client->set_tcp_nodelay(true);
    client->set_keep_alive(true);
    client->set_follow_location(false);
    client->enable_server_certificate_verification(true);
  }

  std::string base_url;
  Timeouts timeouts;
  std::unique_ptr<httplib::Client> client;
};

Client::Client(std::string base_url, Timeouts timeouts)
    : impl_(std::make_unique<Impl>(base_url, timeouts)), base_url_(std::move(base_url)) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(const std::string& base_url, Timeouts timeouts) {
  auto u = parse_url(base_url);
  if (!u || !(u->path.empty() || u->path == "/"))
    return fail(ErrorKind::config, "not a base URL (scheme://host[:port]): \"" + base_url + "\"");
  return std::unique_ptr<Client>(new Client(u->scheme + "://" + (u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host) +
                                                (u->port ? ":" + std::to_string(u->port) : ""),
                                            timeouts));
}

Result<Response> Client::send(const Request& request) {
  httplib::Headers headers;
  for (const auto& [k, v] : request.headers) headers.emplace(k, v);
  std::lock_guard lock(mutex_);
  auto& c = *impl_->client;
  auto started = std::chrono::steady_clock::now();
  bool too_large = false;
  std::string limited_body;
  // The declared length (up to the limit) is reserved: the body is received into one
  // allocation instead of growing through copies (a media is megabytes).
  auto expect = [&](const httplib::Response& head) {
    limited_body.reserve(std::min<std::uint64_t>(head.get_header_value<std::uint64_t>("Content-Length"), request.max_body_bytes));
    return true;
  };
  auto receive = [&](const char* data, std::size_t n) {
    too_large = limited_body.size() + n > request.max_body_bytes;
    if (!too_large) limited_body.append(data, n);
    return !too_large;
  };
  // A POST's body is written from `request` as it is: cpp-httplib would copy it first.
  auto provide = [&](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
    sink.write(request.body.data() + offset, length);
    return true;  // a failed write is cpp-httplib's Error::Write
  };
  httplib::Result r = request.method == "GET" && request.max_body_bytes > 0 ? c.Get(request.path, headers, expect, receive)
                      : request.method == "GET"      ? c.Get(request.path.c_str(), headers)
                      : request.method == "DELETE" ? c.Delete(request.path.c_str(), headers, request.body, request.content_type.c_str())
                                                   : c.Post(request.path, headers, request.body.size(), provide, request.content_type);
  if (!r) {
    auto what = request.method + " " + base_url_ + request.path.substr(0, request.path.find('?'));
    if (too_large) {
      impl_->reconnect();  // the rest of the answer is still on the connection
      return fail(ErrorKind::permanent, what + ": the answer is larger than " + std::to_string(request.max_body_bytes) + " bytes");
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    auto err = r.error();
    impl_->reconnect();
    // A failure counts as a timeout when it took the whole timeout (cpp-httplib reports a read
    // timeout as a plain Read error).
    auto limit = err == httplib::Error::ConnectionTimeout || err == httplib::Error::Connection
                     ? impl_->timeouts.connect
                     : std::min(impl_->timeouts.read, impl_->timeouts.write);
    bool timed_out = elapsed >= limit - std::chrono::milliseconds(50);
    if (timed_out) return fail(ErrorKind::timeout, what + ": timed out");
    auto why = err == httplib::Error::Connection ? "could not connect"
               : err == httplib::Error::Read    ? "connection dropped before a complete response"
               : err == httplib::Error::Write   ? "connection dropped while sending"
               : err == httplib::Error::SSLServerVerification ? "TLS certificate verification failed"
               : err == httplib::Error::SSLConnection ? "TLS handshake failed"
                                                       : "request failed";
    return fail(ErrorKind::network, what + ": " + why + " (" + httplib::to_string(err) + ")");
  }
  Response out;
  out.status = r->status;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  out.body = request.max_body_bytes > 0 && request.method == "GET" ? std::move(limited_body) : std::move(r->body);
  return out;
}

}  // namespace sms::http
