#include <catch2/catch.hpp>

#include "core/metrics.h"
#include "relay/media.h"

using namespace sms;
using nlohmann::json;

namespace {

struct Transport {
  std::map<std::string, Result<twilio::Media>> served;  // by URL; absent: 404
  std::vector<infinity::Attachment> uploaded;
  std::optional<Error> upload_error;
  relay::MediaTransport get() {
    return {[this](const std::string& url) -> Result<twilio::Media> {
              auto it = served.find(url);
              if (it == served.end()) return fail(ErrorKind::permanent, "Twilio answered HTTP 404");
              return it->second;
            },
            [this](const infinity::Attachment& a) -> Result<std::string> {
              if (upload_error) return std::unexpected(*upload_error);
              uploaded.push_back(a);
              return "att" + std::to_string(uploaded.size());
            }};
  }
};

json payload_with(std::vector<std::pair<std::string, std::string>> media, std::string text = "look") {
  json p = {{"body", {{"text", text}}}, {"correlationId", "MM1"}};
  for (auto& [url, type] : media) p[relay::kMediaField].push_back({{"url", url}, {"contentType", type}});
  return p;
}

}  // namespace

TEST_CASE("a delivery attaches the media it can and links the others") {
  Transport t;
  t.served["https://a/1"] = twilio::Media{"JPEGBYTES", "image/jpeg"};
  t.served["https://a/2"] = twilio::Media{"PNGBYTES", "image/png; charset=binary"};
  t.served["https://a/3"] = twilio::Media{"<html>", "text/html"};  // declared image/gif
  auto out = relay::attach_media(
      payload_with({{"https://a/1", "image/jpeg"}, {"https://a/2", "Image/PNG"}, {"https://a/3", "image/gif"}, {"https://a/4", "image/jpeg"}}),
      0, t.get());
  REQUIRE(out);
  CHECK_FALSE(out->contains(relay::kMediaField));
  CHECK((*out)["attachmentIds"] == json{"att1", "att2"});
  CHECK((*out)["body"]["text"] == "look\n[media not attached] https://a/3\n[media not attached] https://a/4");
  REQUIRE(t.uploaded.size() == 2);
  CHECK(t.uploaded[0].bytes == "JPEGBYTES");
  CHECK(t.uploaded[0].mimetype == "image/jpeg");
  CHECK(t.uploaded[0].filename == "media-1.jpeg");
  CHECK(t.uploaded[1].mimetype == "image/png");

  json plain = {{"body", {{"text", "hi"}}}};
  CHECK(relay::attach_media(plain, 0, t.get()).value() == plain);
}

TEST_CASE("a media failure that may pass retries the message, then the media goes as a link") {
  Transport t;
  t.served["https://a/1"] = twilio::Media{"JPEG", "image/jpeg"};
  Error unavailable = make_error(ErrorKind::retryable, "Infinity answered HTTP 503");
  unavailable.http_status = 503;
  t.upload_error = unavailable;
  auto before = metrics::registry().counter("infinity_sms_media_total", "", {{"direction", "inbound"}, {"outcome", "failed"}}).value();
  for (int attempts = 0; attempts + 1 < relay::kMediaAttempts; ++attempts) {
    auto retry = relay::attach_media(payload_with({{"https://a/1", "image/jpeg"}}), attempts, t.get());
    REQUIRE_FALSE(retry);
    CHECK(retry.error().kind == ErrorKind::retryable);  // Infinity's own failure counts for its health
    CHECK(retry.error().message.find("media 1 of 1: uploading it to Infinity") == 0);
  }
  auto last = relay::attach_media(payload_with({{"https://a/1", "image/jpeg"}}), relay::kMediaAttempts - 1, t.get());
  REQUIRE(last);
  CHECK((*last)["body"]["text"] == "look\n[media not attached] https://a/1");
  CHECK_FALSE(last->contains("attachmentIds"));
  CHECK(metrics::registry().counter("infinity_sms_media_total", "", {{"direction", "inbound"}, {"outcome", "failed"}}).value() ==
        before + 1);

  // Twilio not answering is retried without counting against Infinity's health.
  Transport down;
  down.served["https://a/1"] = std::unexpected(make_error(ErrorKind::timeout, "GET https://a/1: timed out"));
  auto r = relay::attach_media(payload_with({{"https://a/1", "image/jpeg"}}), 0, down.get());
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::internal);
}
