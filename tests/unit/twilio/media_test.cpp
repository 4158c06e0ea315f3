#include <catch2/catch.hpp>

#include "fakes/fake_twilio.h"
#include "fakes/fake_upstream.h"
#include "twilio/client.h"
#include "twilio/media.h"

using namespace sms;

TEST_CASE("media are fetched from Twilio's media hosts only") {
  const char* path = "/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
  CHECK(twilio::is_media_url(std::string("https://api.twilio.com") + path, "https://api.twilio.com"));
  CHECK(twilio::is_media_url(std::string("https://API.Twilio.com:443") + path, "https://api.twilio.com"));
  CHECK(twilio::is_media_url(std::string("https://api.twilio.com") + path, "http://127.0.0.1:8999"));
  CHECK(twilio::is_media_url(std::string("http://127.0.0.1:8999") + path, "http://127.0.0.1:8999"));
  CHECK_FALSE(twilio::is_media_url(std::string("http://127.0.0.1:8998") + path, "http://127.0.0.1:8999"));  // another port
  CHECK_FALSE(twilio::is_media_url(std::string("https://127.0.0.1:8999") + path, "http://127.0.0.1:8999"));  // another scheme
  CHECK_FALSE(twilio::is_media_url(std::string("http://api.twilio.com") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(std::string("https://api.twilio.com:8443") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(std::string("https://evil.example") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(std::string("https://api.twilio.com.evil.example") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(std::string("https://api.twilio.com@evil.example") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(std::string("https://user:pw@api.twilio.com") + path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url("https://api.twilio.com/elsewhere", "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url(path, "https://api.twilio.com"));
  CHECK_FALSE(twilio::is_media_url("", "https://api.twilio.com"));

  CHECK(twilio::media_type(" Image/JPEG ; q=1") == "image/jpeg");
  CHECK(twilio::media_type("") == "");
}

TEST_CASE("a media is fetched with the account's credentials and a size limit") {
  fakes::FakeTwilio tw;
  auto url = tw.add_media("MM1", "ME1", std::string(3000, 'x'), "image/png");
  twilio::Client client(tw.url(), {tw.account_sid(), tw.auth_token(), "", ""});
  auto media = client.fetch_media(url, 5000);
  REQUIRE(media);
  CHECK(media->bytes == std::string(3000, 'x'));
  CHECK(media->content_type == "image/png");
  CHECK(tw.requests().back().header("authorization").rfind("Basic ", 0) == 0);

  auto large = client.fetch_media(url, 2999);
  REQUIRE_FALSE(large);
  CHECK(large.error().kind == ErrorKind::permanent);
  CHECK(large.error().message.find("larger than 2999 bytes") != std::string::npos);
  REQUIRE(client.fetch_media(url, 3000));  // the connection is usable again

  twilio::Client wrong(tw.url(), {tw.account_sid(), "wrong-token", "", ""});
  auto denied = wrong.fetch_media(url, 5000);
  REQUIRE_FALSE(denied);
  CHECK(denied.error().kind == ErrorKind::auth);
  auto missing = client.fetch_media(tw.url() + "/2010-04-01/Accounts/" + tw.account_sid() + "/Messages/MM1/Media/ME9", 5000);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::permanent);

  fakes::FakeTwilio elsewhere;  // same paths, another port: never asked
  auto before = tw.requests().size();
  auto foreign = client.fetch_media(elsewhere.url() + "/2010-04-01/Accounts/" + tw.account_sid() + "/Messages/MM1/Media/ME1", 5000);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().kind == ErrorKind::permanent);
  CHECK(elsewhere.requests().empty());
  CHECK(tw.requests().size() == before);
}

TEST_CASE("a media behind Twilio's HTTP auth redirect is fetched from the signed URL without credentials") {
  fakes::FakeTwilio tw;
  auto url = tw.add_redirected_media("MM1", "ME1", "PICTURE", "image/jpeg");
  twilio::Client client(tw.url(), {tw.account_sid(), tw.auth_token(), "", ""});
  auto media = client.fetch_media(url, 5000);
  REQUIRE(media);
  CHECK(media->bytes == "PICTURE");
  CHECK(media->content_type == "image/jpeg");
  auto requests = tw.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("authorization").rfind("Basic ", 0) == 0);
  CHECK(requests[1].path.rfind("/media-cdn/", 0) == 0);
  CHECK(requests[1].header("authorization").empty());  // the signed URL needs none: ours stay with Twilio

  auto large = client.fetch_media(url, 6);  // the limit holds after the redirect too
  REQUIRE_FALSE(large);
  CHECK(large.error().kind == ErrorKind::permanent);
}
