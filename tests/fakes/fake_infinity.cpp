#include "fakes/fake_infinity.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "core/crypto.h"
#include "core/form.h"

namespace fakes {
namespace {

std::string base64url(const std::string& raw) {
  auto b = sms::crypto::base64_encode(raw);
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  b.erase(std::remove(b.begin(), b.end(), '='), b.end());
  return b;
}

void problem(httplib::Response& res, int status, const std::string& title) {
  res.status = status;
  res.set_content(nlohmann::json{{"type", "about:blank"}, {"title", title}, {"status", status}}.dump(),
                  "application/problem+json");
}

}  // namespace

FakeInfinity::FakeInfinity(std::string client_id, std::string client_secret, std::string account_id, std::string connector_id)
    : client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      account_id_(std::move(account_id)),
      connector_id_(std::move(connector_id)) {
  server().Post("/auth/realms/avaya/protocol/openid-connect/token", [this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    auto f = sms::form::parse(req.body);
    if (sms::form::value(f, "grant_type") != "client_credentials") {
      res.status = 400;
      res.set_content(R"({"error":"unsupported_grant_type","error_description":"Unsupported grant type"})", "application/json");
      return;
    }
    if (sms::form::value(f, "client_id") != client_id_ || sms::form::value(f, "client_secret") != client_secret_) {
      res.status = 401;
      res.set_content(R"({"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"})",
                      "application/json");
      return;
    }
    std::lock_guard lock(state_mutex_);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json claims = {{"exp", now + expires_in_}, {"iat", now}, {"organization", {account_id_}},
                             {"owner", {connector_id_}}, {"jti", ++issued_}};
    auto token = base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims.dump()) + ".x";
    valid_tokens_.insert(token);
    all_tokens_.push_back(token);
    res.set_content(nlohmann::json{{"access_token", token}, {"expires_in", expires_in_}, {"token_type", "Bearer"},
                                   {"scope", "email profile"}}.dump(),
                    "application/json");
  });
  auto send = [this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::lock_guard lock(state_mutex_);
    bool account_path = req.path != "/api/digital/messaging/v1/messages";
    if (account_path && (!account_path_ || req.matches[1] != account_id_)) return problem(res, 404, "Not Found");
    auto body = authorised_json(req, res);
    if (body.is_discarded()) return;
    delivered_.push_back({req.path, body});
    char id[27];
    std::snprintf(id, sizeof id, "%026zu", delivered_.size());
    body["messageId"] = id;
    body["accountId"] = account_id_;
    body["conversationSessionId"] = "028d0109148d0c42be45266207";
    res.set_content(body.dump(), "application/json");
  };
  server().Post(R"(/api/digital/messaging/v1/accounts/([^/]+)/messages)", send);
  server().Post("/api/digital/messaging/v1/messages", send);
  server().Post("/api/digital/messaging/v1/attachments/signed-upload-uri", [this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::lock_guard lock(state_mutex_);
    auto body = authorised_json(req, res);
    if (body.is_discarded()) return;
    for (const char* field : {"integrationId", "filename", "mimetype"})
      if (!body.contains(field) || !body[field].is_string()) return problem(res, 400, "Constraint Violation");
    if (!body.contains("size") || !body["size"].is_number_integer()) return problem(res, 400, "Constraint Violation");
    auto uuid = sms::crypto::random_hex(16);
    sessions_[uuid] = {"", body["integrationId"].get<std::string>(), body["filename"].get<std::string>(),
                       body["mimetype"].get<std::string>(), "", ""};
    res.set_content(nlohmann::json{{"uploadSignedUri", "/api/digital/messaging/v1/storage/upload-sessions/" + uuid +
                                                           "?hmac=" + std::string(64, 'a') + "&expiresAt=4102444800000"}}.dump(),
                    "application/json");
  });
  server().Post(R"(/api/digital/messaging/v1/storage/upload-sessions/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::lock_guard lock(state_mutex_);
    auto session = sessions_.find(req.matches[1]);
    if (session == sessions_.end() || req.get_param_value("hmac").empty() || req.get_param_value("expiresAt").empty())
      return problem(res, 403, "Forbidden");
    if (!req.is_multipart_form_data() || !req.has_file("mediaFile")) return problem(res, 400, "Constraint Violation");
    auto file = req.get_file_value("mediaFile");
    auto uploaded = session->second;
    sessions_.erase(session);
    char id[27];
    std::snprintf(id, sizeof id, "att%023zu", uploads_.size() + 1);
    uploaded.attachment_id = id;
    uploaded.content_type = file.content_type;
    uploaded.bytes = file.content;
    uploads_.push_back(uploaded);
    res.status = 202;
    res.set_content(nlohmann::json{{"attachmentId", uploaded.attachment_id}}.dump(), "application/json");
  });
  server().Post("/api/digital/messaging/v1/attachments/signed-download-uri", [this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::lock_guard lock(state_mutex_);
    auto body = authorised_json(req, res);
    if (body.is_discarded()) return;
    for (const char* field : {"attachmentId", "integrationId"})
      if (!body.contains(field) || !body[field].is_string() || body[field].get<std::string>().size() > 50)
        return problem(res, 400, "Constraint Violation");
    downloads_.push_back({body["attachmentId"], body["integrationId"]});
    res.set_content(nlohmann::json{{"downloadSignedUri", download_uri(body["attachmentId"])}}.dump(), "application/json");
  });
  start();
}

std::string FakeInfinity::download_uri(const std::string& attachment_id) {
  return "/api/digital/messaging/v1/storage/download-sessions/" + sms::form::url_encode(attachment_id) +
         "?hmac=" + sms::crypto::hex_encode(sms::crypto::sha256(attachment_id)) + "&expiresAt=4102444800000";
}

std::vector<FakeInfinity::DownloadAsked> FakeInfinity::downloads() const {
  std::lock_guard lock(state_mutex_);
  return downloads_;
}

nlohmann::json FakeInfinity::authorised_json(const httplib::Request& req, httplib::Response& res) const {
  if (!bearer_valid(req.get_header_value("Authorization"))) {
    problem(res, 401, "Unauthorized");
    return nlohmann::json::value_t::discarded;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object()) return body;
  problem(res, 400, "Constraint Violation");
  return nlohmann::json::value_t::discarded;
}

bool FakeInfinity::bearer_valid(const std::string& auth) const {
  return auth.rfind("Bearer ", 0) == 0 && valid_tokens_.contains(auth.substr(7));
}

std::vector<FakeInfinity::Uploaded> FakeInfinity::uploads() const {
  std::lock_guard lock(state_mutex_);
  return uploads_;
}

std::string FakeInfinity::attachment(const std::string& attachment_id) const {
  std::lock_guard lock(state_mutex_);
  for (const auto& u : uploads_)
    if (u.attachment_id == attachment_id) return u.bytes;
  return "";
}

void FakeInfinity::set_expires_in(int seconds) {
  std::lock_guard lock(state_mutex_);
  expires_in_ = seconds;
}

void FakeInfinity::set_account_path_enabled(bool on) {
  std::lock_guard lock(state_mutex_);
  account_path_ = on;
}

void FakeInfinity::revoke_tokens() {
  std::lock_guard lock(state_mutex_);
  valid_tokens_.clear();
}

int FakeInfinity::tokens_issued() const {
  std::lock_guard lock(state_mutex_);
  return issued_;
}

std::vector<std::string> FakeInfinity::tokens() const {
  std::lock_guard lock(state_mutex_);
  return all_tokens_;
}

std::vector<FakeInfinity::Delivered> FakeInfinity::messages() const {
  std::lock_guard lock(state_mutex_);
  return delivered_;
}

}  // namespace fakes
