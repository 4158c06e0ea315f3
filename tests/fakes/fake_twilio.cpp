#include "fakes/fake_twilio.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "core/form.h"

namespace fakes {

FakeTwilio::FakeTwilio(std::string account_sid, std::string auth_token, std::string api_key_sid, std::string api_key_secret)
    : account_sid_(std::move(account_sid)),
      auth_token_(std::move(auth_token)),
      api_key_sid_(std::move(api_key_sid)),
      api_key_secret_(std::move(api_key_secret)) {
  auto authorised = [this](const httplib::Request& req, std::string& user) {
    auto h = req.get_header_value("Authorization");
    if (h.rfind("Basic ", 0) != 0) return false;
    auto expected_token = "Basic " + sms::crypto::base64_encode(account_sid_ + ":" + auth_token_);
    auto expected_key = "Basic " + sms::crypto::base64_encode(api_key_sid_ + ":" + api_key_secret_);
    if (h == expected_token) user = account_sid_;
    else if (!api_key_sid_.empty() && h == expected_key) user = api_key_sid_;
    else return false;
    return true;
  };
  auto deny = [](httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401})",
                    "application/json");
  };
  server().Post(R"(/2010-04-01/Accounts/([^/]+)/Messages\.json)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::string user;
    if (req.matches[1] != account_sid_ || !authorised(req, user)) return deny(res);
    Sent s;
    for (auto& [k, v] : sms::form::parse(req.body)) s.form.emplace(k, v);
    s.basic_user = user;
    s.at = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(sent_mutex_);
      if (refuse_mms_ && s.form.count("MediaUrl")) {
        res.status = 400;
        res.set_content(R"({"code":21612,"message":"The 'To' phone number is not currently reachable using the 'From' phone number via MMS.","more_info":"https://www.twilio.com/docs/errors/21612","status":400})",
                        "application/json");
        return;
      }
      char sid[35];
      std::snprintf(sid, sizeof sid, "SM%032x", next_sid_++);
      s.sid = sid;
      sent_.push_back(s);
    }
    nlohmann::json body = {{"sid", s.sid}, {"status", "queued"}, {"account_sid", account_sid_},
                           {"to", s.form.count("To") ? s.form.find("To")->second : ""}, {"direction", "outbound-api"}};
    res.status = 201;
    res.set_content(body.dump(), "application/json");
  });
  server().Get(R"(/2010-04-01/Accounts/([^/]+)\.json)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::string user;
    if (req.matches[1] != account_sid_ || !authorised(req, user)) return deny(res);
    res.set_content(nlohmann::json{{"sid", account_sid_}, {"status", "active"}, {"friendly_name", "fake"}}.dump(),
                    "application/json");
  });
  server().Get(R"(/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\.json)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::string user;
    if (req.matches[1] != account_sid_ || !authorised(req, user)) return deny(res);
    std::lock_guard lock(sent_mutex_);
    res.set_content(nlohmann::json{{"incoming_phone_numbers", numbers_}, {"page", 0}}.dump(), "application/json");
  });
  server().Get(R"(/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)/Media/([^/]+))",
               [=, this](const httplib::Request& req, httplib::Response& res) {
                 if (maybe_fail(req, res)) return;
                 Recording recording{*this, req};
                 std::string user;
                 if (req.matches[1] != account_sid_ || !authorised(req, user)) return deny(res);
                 std::lock_guard lock(sent_mutex_);
                 if (auto cdn = redirects_.find(req.path); cdn != redirects_.end()) {
                   res.status = 307;
                   res.set_header("Location", url() + cdn->second + "?Expires=4102444800&Signature=fake");
                   return;
                 }
                 auto it = media_.find(req.path);
                 if (it == media_.end()) {
                   res.status = 404;
                   res.set_content(R"({"code":20404,"message":"The requested resource was not found","status":404})",
                                   "application/json");
                   return;
                 }
                 res.set_content(it->second.first, it->second.second);
               });
  server().Get(R"(/media-cdn/.+)", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (maybe_fail(req, res)) return;
    Recording recording{*this, req};
    std::lock_guard lock(sent_mutex_);
    auto it = media_.find(req.path);
    if (it == media_.end() || req.get_param_value("Signature").empty()) {
      res.status = 403;
      return;
    }
    res.set_content(it->second.first, it->second.second);
  });
  start();
}

std::string FakeTwilio::add_media(const std::string& message_sid, const std::string& media_sid, std::string bytes,
                                  std::string content_type) {
  auto path = "/2010-04-01/Accounts/" + account_sid_ + "/Messages/" + message_sid + "/Media/" + media_sid;
  std::lock_guard lock(sent_mutex_);
  media_[path] = {std::move(bytes), std::move(content_type)};
  return url() + path;
}

std::string FakeTwilio::add_redirected_media(const std::string& message_sid, const std::string& media_sid, std::string bytes,
                                             std::string content_type) {
  auto url = add_media(message_sid, media_sid, "", "");
  auto path = url.substr(this->url().size());
  std::lock_guard lock(sent_mutex_);
  auto cdn = "/media-cdn/" + message_sid + "/" + media_sid;
  media_.erase(path);
  media_[cdn] = {std::move(bytes), std::move(content_type)};
  redirects_[path] = cdn;
  return url;
}

void FakeTwilio::set_numbers(nlohmann::json numbers) {
  std::lock_guard lock(sent_mutex_);
  numbers_ = std::move(numbers);
}

std::string FakeTwilio::Sent::field(const std::string& name) const {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

std::vector<std::string> FakeTwilio::Sent::fields(const std::string& name) const {
  std::vector<std::string> out;
  for (auto [it, end] = form.equal_range(name); it != end; ++it) out.push_back(it->second);
  return out;
}

void FakeTwilio::refuse_mms(bool on) {
  std::lock_guard lock(sent_mutex_);
  refuse_mms_ = on;
}

std::vector<std::chrono::steady_clock::time_point> FakeTwilio::sent_from(const std::string& from) const {
  std::vector<std::chrono::steady_clock::time_point> out;
  for (const auto& s : messages())
    if (s.field("From") == from) out.push_back(s.at);
  return out;
}

std::vector<FakeTwilio::Sent> FakeTwilio::messages() const {
  std::lock_guard lock(sent_mutex_);
  return sent_;
}

void FakeTwilio::fail_with_code(int http_status, int code, const std::string& message, int times) {
  nlohmann::json body = {{"code", code}, {"message", message},
                         {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)}, {"status", http_status}};
  Failure f;
  f.status = http_status;
  f.body = body.dump();
  f.times = times;
  f.path_prefix = "/2010-04-01";
  inject(f);
}

}  // namespace fakes
