// The operator console (admin listener only): static files compiled into the binary, which hold
// no data and need no token; the page reads everything from the JSON API under /api/.
#include "server/console_assets.h"
#include "server/routes.h"

namespace sms::server {
namespace {

// What every console answer carries: the page runs only its own files, never in a frame, and
// sends no Referer (its URL may briefly hold #token=... before the page removes it).
void add_console_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

Response redirect_to_console(const Request&) {
  Response r;
  r.status = 302;
  r.content_type = "text/plain";
  r.body = "/console/\n";
  r.headers.emplace_back("Location", "/console/");
  add_console_headers(r);
  return r;
}

Response asset(std::string_view name) {
  auto found = console_asset(name);
  if (!found) return error_response(404, "not_found", "no such console file: " + std::string(name));
  Response r;
  r.content_type = std::string(found->content_type);
  r.body = std::string(found->bytes);
  add_console_headers(r);
  return r;
}

}  // namespace

void add_console_routes(Router& router) {
  router.add("GET", "/", redirect_to_console);
  router.add("GET", "/console", redirect_to_console);
  router.add("GET", "/console/", [](const Request&) { return asset("index.html"); });
  router.add("GET", "/console/{file}", [](const Request& r) { return asset(r.path_params.at(0)); });
}

}  // namespace sms::server
