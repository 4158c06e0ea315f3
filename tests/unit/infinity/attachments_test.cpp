#include <catch2/catch.hpp>

#include "fakes/fake_infinity.h"
#include "infinity/attachments.h"
#include "infinity/client.h"

using namespace sms;
using namespace std::chrono_literals;

namespace {
constexpr const char* kHost = "https://core.acme.ec.avayacloud.com";
}  // namespace

TEST_CASE("an attachment is uploaded through a signed upload URI and named by its attachmentId") {
  fakes::FakeInfinity f;
  auto tokens = std::make_shared<infinity::TokenProvider>(
      infinity::ClientCredentials{f.url(), f.client_id(), f.client_secret()}, http::Timeouts{1s, 1s, 1s});
  infinity::Client client({f.url(), f.account_id(), ""}, tokens, {1s, 1s, 1s});
  std::string bytes("\xff\xd8\xff\x00 binary \r\n--not-a-boundary\r\n", 33);
  auto id = client.upload_attachment({"media-1.jpeg", "image/jpeg", bytes}, "conn-1");
  REQUIRE(id);
  CHECK(f.attachment(*id) == bytes);
  auto uploads = f.uploads();
  REQUIRE(uploads.size() == 1);
  CHECK(uploads[0].integration_id == "conn-1");
  CHECK(uploads[0].filename == "media-1.jpeg");
  CHECK(uploads[0].mimetype == "image/jpeg");
  CHECK(uploads[0].content_type == "image/jpeg");
  // The upload session carries its own signature: no bearer token goes to it.
  for (const auto& r : f.requests())
    if (r.path.starts_with("/api/digital/messaging/v1/storage/")) CHECK(r.header("authorization").empty());

  f.revoke_tokens();  // a 401 on the signed URI request refreshes the token once
  REQUIRE(client.upload_attachment({"media-2.png", "image/png", "png"}, "conn-1"));
  CHECK(f.uploads().size() == 2);

  fakes::Failure unavailable;
  unavailable.path_prefix = "/api/digital/messaging/v1/storage/";
  f.inject(unavailable);
  auto failed = client.upload_attachment({"media-3.png", "image/png", "png"}, "conn-1");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind == ErrorKind::retryable);

  fakes::Failure no_id;  // a 2xx without an attachmentId: not what we inferred, not worth retrying
  no_id.status = 202;
  no_id.body = "{}";
  no_id.path_prefix = "/api/digital/messaging/v1/storage/";
  f.inject(no_id);
  auto odd = client.upload_attachment({"media-4.png", "image/png", "png"}, "conn-1");
  REQUIRE_FALSE(odd);
  CHECK(odd.error().kind == ErrorKind::permanent);
}

TEST_CASE("an attachment's link is its signed download URI asked for with the bearer token") {
  fakes::FakeInfinity f;
  auto tokens = std::make_shared<infinity::TokenProvider>(
      infinity::ClientCredentials{f.url(), f.client_id(), f.client_secret()}, http::Timeouts{1s, 1s, 1s});
  infinity::Client client({f.url(), f.account_id(), ""}, tokens, {1s, 1s, 1s});
  auto link = client.attachment_link("att-7", "conn-1");
  REQUIRE(link);
  CHECK(*link == f.url() + fakes::FakeInfinity::download_uri("att-7"));  // relative: on the Infinity host
  f.revoke_tokens();  // a 401 refreshes the token once
  REQUIRE(client.attachment_link("att-8", "conn-1"));
  auto asked = f.downloads();
  REQUIRE(asked.size() == 2);
  CHECK(asked[0].attachment_id == "att-7");
  CHECK(asked[0].integration_id == "conn-1");
  CHECK(f.tokens_issued() == 2);

  fakes::Failure down;
  down.path_prefix = std::string(infinity::kSignedDownloadUriPath);
  f.inject(down);
  CHECK(client.attachment_link("att-9", "conn-1").error().kind == ErrorKind::retryable);
  fakes::Failure forbidden = down;
  forbidden.status = 403;
  f.inject(forbidden);
  CHECK(client.attachment_link("att-9", "conn-1").error().kind == ErrorKind::permanent);
  fakes::Failure no_uri = down;  // a 2xx without downloadSignedUri
  no_uri.status = 200;
  no_uri.body = "{}";
  f.inject(no_uri);
  CHECK(client.attachment_link("att-9", "conn-1").error().kind == ErrorKind::permanent);
}

TEST_CASE("a signed download URI is a link on the Infinity host or used as it is") {
  CHECK(infinity::download_url(kHost, "/api/x/download-sessions/a1?hmac=1&expiresAt=2") ==
        std::string(kHost) + "/api/x/download-sessions/a1?hmac=1&expiresAt=2");
  CHECK(infinity::download_url(kHost, "https://files.example/d/a1?hmac=1") == "https://files.example/d/a1?hmac=1");
  for (const char* odd : {"//evil.example/x", "ftp://files.example/a1", "download-sessions/a1", ""}) {
    auto r = infinity::download_url(kHost, odd);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::permanent);
  }
}
