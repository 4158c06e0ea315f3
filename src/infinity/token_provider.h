// Infinity access tokens by client credentials ({host}/auth/realms/avaya/protocol/openid-connect/token).
// Cached; refreshed at the earlier of exp - 60 s and 80 % of expires_in; one refresh at a time
// across threads; forced on 401; a failed refresh is retried with backoff by the next caller.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/client.h"

namespace sms::infinity {

struct Token {
  std::string access_token;
  std::int64_t expires_in = 0;  // seconds, as the server said
  std::chrono::system_clock::time_point expires_at;   // from exp when present, else now+expires_in
  std::chrono::system_clock::time_point refresh_at;   // min(exp - 60 s, issued + 80 % expires_in)
  nlohmann::json claims;        // decoded JWT payload ({} when not a JWT)
};

struct ClientCredentials {
  std::string base_url;  // normalised host, e.g. https://core.x.ec.avayacloud.com
  std::string client_id;
  std::string client_secret;
};

// One token request, no caching. OAuth errors ({"error":"invalid_client",...}) become auth
// errors (401/400 invalid_client, unauthorized_client, invalid_grant) whose message explains
// the fix; 404 says the host or realm is wrong; 5xx/429 are retryable.
Result<Token> request_token(http::Client& client, const ClientCredentials& creds);

class TokenProvider {
 public:
  explicit TokenProvider(ClientCredentials creds, http::Timeouts timeouts = {});
  ~TokenProvider();

  // A valid token: the cached one while before refresh_at, else a fresh one. Concurrent callers
  // share one refresh. After a failure, callers within the backoff window (1 s doubling to
  // 60 s) get the same error without a new request.
  Result<Token> get();
  // Drops the cached token if it is still `stale` (the one a 401 was answered to) and fetches a
  // new one.
  Result<Token> refresh_after_401(const std::string& stale);

  // Last token obtained, if any (status, doctor).
  std::optional<Token> cached() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Calls `call` with a valid token of `tokens`; when that is answered 401 (the token was revoked
// or expired early), once more with a fresh one. Errors getting a token are returned as such.
Result<http::Response> with_bearer(TokenProvider& tokens,
                                   const std::function<Result<http::Response>(const std::string& token)>& call);

}  // namespace sms::infinity
