// Docs move with code: completions parse, complete, and name every command and option that
// --help shows; the man page, the completions and docs/configuration.md name every config key;
// every link between the Markdown files reaches a file and a heading that exist.
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/config.h"
#include "cli_commands.h"
#include "fakes/process.h"

namespace {

std::string slurp(const std::string& rel) {
  std::ifstream in(std::string(INFINITY_SMS_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sh(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) out += "\n(exit status non-zero)";
  }
  return out;
}

// Every "--long-option" in a command's --help.
std::set<std::string> long_options(const std::vector<std::string>& args) {
  auto help = fakes::run(args).out;
  std::set<std::string> out;
  std::regex re("--[a-z][a-z-]+");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), re); it != std::sregex_iterator(); ++it) out.insert(it->str());
  return out;
}

}  // namespace

TEST_CASE("completion scripts pass their shells' syntax checks", "[docs]") {
  auto src = std::string(INFINITY_SMS_SOURCE_DIR);
  CHECK(sh("bash -n " + src + "/completions/infinity-sms.bash 2>&1").empty());
  for (auto [shell, file] : {std::pair{"zsh", "_infinity-sms"}, std::pair{"fish", "infinity-sms.fish"}}) {
    if (sh(std::string("command -v ") + shell).empty()) {
      WARN(shell << " is not installed; scripts/bootstrap installs it");
      continue;
    }
    CHECK(sh(std::string(shell) + " -n " + src + "/completions/" + file + " 2>&1").empty());
  }
}

TEST_CASE("bash completes subcommands and config keys", "[docs]") {
  auto src = std::string(INFINITY_SMS_SOURCE_DIR);
  auto complete = [&](const std::string& words, int cword) {
    return sh("bash -c 'source /usr/share/bash-completion/bash_completion 2>/dev/null; source " + src +
              "/completions/infinity-sms.bash; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
              "; COMP_LINE=\"" + words + "\"; COMP_POINT=${#COMP_LINE}; _infinity_sms; echo \"${COMPREPLY[*]}\"'");
  };
  CHECK(complete("infinity-sms con", 1) == "config\n");
  CHECK(complete("infinity-sms config s", 2) == "show set\n");
  CHECK(complete("infinity-sms config set avaya.ho", 3) == "avaya.host\n");
  CHECK(complete("infinity-sms sign-webhook infinity --ev", 3) == "--event\n");
  CHECK(complete("infinity-sms outbox list --log-f", 3) == "--log-format\n");  // global options after the command
}

TEST_CASE("every command and option in --help is in the man page and each completion file", "[docs]") {
  auto man = slurp("man/infinity-sms.1");
  // roff writes '-' as '\-'
  std::string plain_man = std::regex_replace(man, std::regex(R"(\\-)"), "-");
  std::vector<std::pair<std::string, std::string>> docs = {{"man page", plain_man},
                                                           {"bash", slurp("completions/infinity-sms.bash")},
                                                           {"zsh", slurp("completions/_infinity-sms")},
                                                           {"fish", slurp("completions/infinity-sms.fish")}};
  auto commands = itest::all_commands();
  REQUIRE(commands.size() >= 14);  // the listing was really read
  for (auto args : commands) {
    std::string path;
    for (const auto& a : args) path += (path.empty() ? "" : " ") + a;
    // Each command word appears as a word of its own (not inside "--status-callback").
    for (const auto& word : args)
      for (const auto& [name, text] : docs) {
        INFO(name << " lacks command '" << path << "'");
        CHECK(std::regex_search(text, std::regex("(^|[\\s'\"(|])" + word + "([\\s'\":)|]|$)")));
      }
    args.push_back("--help");
    auto opts = long_options(args);
    CHECK(opts.count("--help") == 1);  // the help really ran
    for (const auto& opt : opts)
      for (const auto& [name, text] : docs) {
        INFO(name << " lacks " << opt << " (from '" << path << " --help')");
        auto bare = opt.substr(2);
        CHECK((text.find(opt) != std::string::npos || (name == "fish" && text.find("-l " + bare) != std::string::npos)));
      }
  }
}

TEST_CASE("every config key and env var is documented in docs/configuration.md, the man page and the completions", "[docs]") {
  auto reference = slurp("docs/configuration.md");
  REQUIRE_FALSE(reference.empty());
  auto man = std::regex_replace(slurp("man/infinity-sms.1"), std::regex(R"(\\-)"), "-");
  std::vector<std::string> completions = {slurp("completions/infinity-sms.bash"), slurp("completions/_infinity-sms"),
                                          slurp("completions/infinity-sms.fish")};
  for (const auto& spec : sms::config::schema()) {
    INFO(spec.key);
    // A row of the key table: a line that starts with the key in backticks, then the next cell.
    CHECK(reference.find("\n| `" + std::string(spec.key) + "` |") != std::string::npos);
    CHECK(man.find(std::string(spec.key)) != std::string::npos);
    for (const auto& c : completions) CHECK(c.find(std::string(spec.key) + " ") != std::string::npos);
    if (!spec.env.empty()) {
      CHECK(reference.find(std::string(spec.env)) != std::string::npos);
      CHECK(man.find(std::string(spec.env)) != std::string::npos);
    }
  }
}

namespace {

// GitHub's anchor for a heading: lowercased, punctuation dropped, spaces made hyphens.
std::string anchor_of(const std::string& heading) {
  std::string out;
  for (unsigned char ch : heading) {
    if (std::isalnum(ch) || ch == '-' || ch == '_') out += static_cast<char>(std::tolower(ch));
    else if (ch == ' ') out += '-';
  }
  return out;
}

std::set<std::string> anchors_in(const std::string& markdown) {
  std::set<std::string> out;
  std::istringstream in(markdown);
  bool fenced = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced || line.empty() || line[0] != '#') continue;
    auto text = line.find_first_not_of('#');
    if (text != std::string::npos) out.insert(anchor_of(line.substr(line.find_first_not_of(' ', text))));
  }
  return out;
}

}  // namespace

TEST_CASE("every link between the Markdown files reaches an existing file and heading", "[docs]") {
  namespace fs = std::filesystem;
  const fs::path root(INFINITY_SMS_SOURCE_DIR);
  std::vector<std::string> files = {"README.md", "CONTRIBUTING.md", "CHANGELOG.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md") files.push_back("docs/" + entry.path().filename().string());
  std::regex link(R"(\]\(([^)\s]+)\))");
  int checked = 0;
  for (const auto& file : files) {
    auto text = slurp(file);
    REQUIRE_FALSE(text.empty());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
      std::string target = (*it)[1];
      if (target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0) continue;
      INFO(file << " links to " << target);
      auto hash = target.find('#');
      auto path = target.substr(0, hash);
      auto resolved = path.empty() ? root / file : (root / file).parent_path() / path;
      CHECK(fs::exists(resolved));
      if (hash != std::string::npos && fs::is_regular_file(resolved)) {
        auto rel = fs::relative(resolved, root).string();
        CHECK(anchors_in(slurp(rel)).count(target.substr(hash + 1)) == 1);
      }
      ++checked;
    }
  }
  CHECK(checked > 20);  // the pattern still finds the links
}

TEST_CASE("the example configurations pass every check serve makes at start", "[docs]") {
  for (const char* file : {"packaging/config.example.json", "packaging/config.tenants.example.json"}) {
    INFO(file);
    auto layer = nlohmann::json::parse(slurp(file));
    CHECK(sms::config::check_patch(layer).empty());
    auto tree = sms::config::Config().tree();
    sms::config::merge_into(tree, layer);
    sms::config::Config c(tree);
    CHECK(sms::config::check_tenants(c).empty());
    if (layer.contains("tenants")) CHECK(c.tenant_names().size() == 1 + layer["tenants"].size());
  }
}
