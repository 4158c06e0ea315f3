#include <catch2/catch.hpp>

#include "core/result.h"

TEST_CASE("retryable error kinds are exactly timeout, network and retryable") {
  using sms::ErrorKind;
  for (auto k : {ErrorKind::timeout, ErrorKind::network, ErrorKind::retryable})
    CHECK(sms::Error{k, "x", 0, {}, {}, {}}.retryable());
  for (auto k : {ErrorKind::auth, ErrorKind::permanent, ErrorKind::invalid_input,
                 ErrorKind::config, ErrorKind::not_found, ErrorKind::internal})
    CHECK_FALSE(sms::Error{k, "x", 0, {}, {}, {}}.retryable());
  CHECK(std::string(sms::to_string(ErrorKind::auth)) == "auth");
}
