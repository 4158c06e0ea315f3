#include <catch2/catch.hpp>

#include "compliance/keywords.h"

using namespace sms::compliance;

TEST_CASE("Twilio's standard keywords, as the whole trimmed message in any case, ask for an opt action") {
  for (const char* word : {"STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "optout", "REVOKE", "  stop\n"})
    CHECK(opt_action(word, "") == OptAction::stop);
  for (const char* word : {"START", "yes", "Unstop", "\tSTART "}) CHECK(opt_action(word, "") == OptAction::start);
  for (const char* word : {"HELP", "info"}) CHECK(opt_action(word, "") == OptAction::help);
}

TEST_CASE("a keyword inside a longer message is not an opt action") {
  for (const char* body : {"please stop", "STOP!", "stop it", "don't stop", "YESS", "helpdesk", "", "S T O P"})
    CHECK(opt_action(body, "") == OptAction::none);
}

TEST_CASE("OptOutType decides when Twilio sends it, whatever the body") {
  CHECK(opt_action("Arrêtez", "STOP") == OptAction::stop);  // a custom keyword of Advanced Opt-Out
  CHECK(opt_action("stop", "START") == OptAction::start);
  CHECK(opt_action("hello", "help") == OptAction::help);
  CHECK(opt_action("STOP", "SOMETHING_NEW") == OptAction::stop);  // unknown type: the body decides
}

TEST_CASE("the recorded keyword is the trimmed, uppercased body, cut to 32 characters") {
  CHECK(keyword("  unsubscribe ") == "UNSUBSCRIBE");
  CHECK(keyword(std::string(40, 'x')) == std::string(32, 'X'));
  CHECK(keyword("Arrêtez") == "ARRêTEZ");  // non-ASCII left as it is, never cut inside a character
  CHECK(std::string(to_string(OptAction::stop)) == "stop");
}
