#include <catch2/catch.hpp>

#include "fakes/fake_infinity.h"
#include "infinity/client.h"

using namespace sms;
using namespace std::chrono_literals;

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
