// Fake Infinity: the token endpoint (client credentials → a JWT with exp, organization, owner)
// and Send Message on both the account-scoped and the documented path (bearer token checked:
// unknown or revoked tokens answer 401 problem+json); attachments (infinity-api.md §5): the
// signed upload URI (bearer token checked) and the upload session it names, as we infer it
// (POST multipart/form-data, field mediaFile, answered 202 {"attachmentId": ...}); the signed
// download URI (bearer token checked), answered with a relative download-session URI.
#pragma once

#include <unordered_set>

#include <nlohmann/json.hpp>

#include "fakes/fake_upstream.h"

namespace fakes {

class FakeInfinity : public FakeUpstream {
 public:
  FakeInfinity(std::string client_id = "client-id-1", std::string client_secret = "client-secret-1",
               std::string account_id = "001d0106666c6888cc999c111c",
               std::string connector_id = "a2a22a22-b66b-4444-a9a9-dd111d111d11");

  const std::string& client_id() const { return client_id_; }
  const std::string& client_secret() const { return client_secret_; }
  const std::string& account_id() const { return account_id_; }
  const std::string& connector_id() const { return connector_id_; }

  void set_expires_in(int seconds);            // default 900
  void set_account_path_enabled(bool on);      // false: the account-scoped path answers 404
  void revoke_tokens();                        // every token issued so far now gets 401
  int tokens_issued() const;
  std::vector<std::string> tokens() const;     // every token issued, revoked ones included

  // Send Message bodies accepted (200), in order, with the path they came on.
  struct Delivered {
    std::string path;
    nlohmann::json message;
  };
  std::vector<Delivered> messages() const;

  // Attachments uploaded through an upload session, in order.
  struct Uploaded {
    std::string attachment_id;
    std::string integration_id, filename, mimetype;  // as asked for the signed upload URI
    std::string content_type;                        // of the mediaFile part
    std::string bytes;
  };
  std::vector<Uploaded> uploads() const;
  // An uploaded attachment's bytes ("" for an unknown id).
  std::string attachment(const std::string& attachment_id) const;

  // Signed download URIs asked for (and answered 200), in order.
  struct DownloadAsked {
    std::string attachment_id, integration_id;
  };
  std::vector<DownloadAsked> downloads() const;
  // The downloadSignedUri it answers for an attachment: relative,
  // /api/digital/messaging/v1/storage/download-sessions/{id}?hmac={64 hex}&expiresAt={epoch ms}.
  static std::string download_uri(const std::string& attachment_id);

 private:
  std::string client_id_, client_secret_, account_id_, connector_id_;
  mutable std::mutex state_mutex_;
  int expires_in_ = 900;
  bool account_path_ = true;
  std::unordered_set<std::string> valid_tokens_;  // looked up per request: as fast with thousands issued
  std::vector<std::string> all_tokens_;
  int issued_ = 0;
  std::vector<Delivered> delivered_;
  std::map<std::string, Uploaded> sessions_;  // upload sessions by uuid, not yet used
  std::vector<Uploaded> uploads_;
  std::vector<DownloadAsked> downloads_;
  bool bearer_valid(const std::string& authorization) const;  // under state_mutex_
  // Under state_mutex_: the JSON object a request with a valid bearer token carries; else
  // discarded, with the problem answered (401, or 400 for a body that is not a JSON object).
  nlohmann::json authorised_json(const httplib::Request& req, httplib::Response& res) const;
};

}  // namespace fakes
