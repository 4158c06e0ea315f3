// The opt-out register as CSV (RFC 4180 as spreadsheets write it) and as JSON.
#include "compliance/optout_csv.h"

#include <array>
#include <cctype>
#include <optional>

#include "core/clock.h"
#include "core/phone.h"

namespace sms::compliance {
namespace {

constexpr std::string_view kHeader = "business_number,end_user_number,since,source";
constexpr std::size_t kMaxSourceLength = 64;

enum Column { business, end_user, since, source_col, kColumns };
constexpr std::array<std::string_view, kColumns> kNames = {"business_number", "end_user_number", "since", "source"};

std::string iso(std::int64_t ms) { return iso8601(SysTime(std::chrono::milliseconds(ms))); }

// A field as CSV: quoted when it holds a separator, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::string lower(std::string s) {
  for (auto& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

// A value quoted back in an error: printable ASCII (so never invalid UTF-8 in a JSON answer,
// whatever the file held), and short.
std::string shown(std::string_view v) {
  std::string out;
  for (unsigned char c : v.substr(0, 40)) out += c < 0x20 || c >= 0x7f ? '?' : static_cast<char>(c);
  return v.size() > 40 ? out + "..." : out;
}

Error at_line(std::size_t line, const std::string& what) {
  return make_error(ErrorKind::invalid_input, "line " + std::to_string(line) + ": " + what);
}

// One record of the text: its fields and the line it starts on.
struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;
  bool blank = false;  // an empty or whitespace-only line
};

// Reads CSV records one at a time: fields separated by commas, records by LF, CRLF or CR;
// a field in double quotes may hold commas, line breaks and doubled quotes.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // a UTF-8 BOM (Excel's "CSV UTF-8")
  }

  // nullopt at the end of the text.
  Result<std::optional<Record>> next() {
    if (pos_ >= text_.size()) return std::optional<Record>();
    Record r;
    r.line = line_;
    std::string field;
    bool quoted = false;  // the current field was quoted (and its closing quote was seen)
    while (true) {
      if (pos_ >= text_.size()) {
        r.fields.push_back(quoted ? field : trim(field));
        break;
      }
      char c = text_[pos_];
      if (c == '"' && !quoted && trim(field).empty()) {
        auto closed = quoted_field(field);
        if (!closed) return std::unexpected(closed.error());
        quoted = true;
        continue;
      }
      if (c == ',' || c == '\n' || c == '\r') {
        r.fields.push_back(quoted ? field : trim(field));
        field.clear();
        quoted = false;
        ++pos_;
        if (c == ',') continue;
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        break;
      }
      if (quoted && c != ' ' && c != '\t')
        return std::unexpected(at_line(line_, "text after a closing quote (a quote inside a quoted field is written \"\")"));
      if (!quoted) field += c;
      ++pos_;
    }
    r.blank = r.fields.size() == 1 && r.fields[0].empty() && !quoted;
    return std::optional<Record>(std::move(r));
  }

 private:
  // At an opening quote: reads the field up to its closing quote into `field`.
  Result<void> quoted_field(std::string& field) {
    const auto start = line_;
    field.clear();
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field += '"';
          ++pos_;
          continue;
        }
        ++pos_;
        return {};
      }
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) ++line_;
      field += c;
    }
    return std::unexpected(at_line(start, "a quoted field is not closed (a quote is missing)"));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// The header's columns: where each known column is (nullopt when absent).
using Layout = std::array<std::optional<std::size_t>, kColumns>;

Result<Layout> read_header(const Record& r) {
  std::string line;
  for (const auto& f : r.fields) line += (line.empty() ? "" : ",") + f;
  auto wrong = [&](const std::string& why) {
    return std::unexpected(at_line(r.line, why + "the header must be " + std::string(kHeader) +
                                               " (since and source may be left out), not '" + shown(line) + "'"));
  };
  Layout at;
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    auto name = lower(trim(r.fields[i]));
    std::size_t k = 0;
    while (k < kColumns && kNames[k] != name) ++k;
    if (k == kColumns) return wrong("unknown column '" + shown(name) + "': ");
    if (at[k]) return wrong("column '" + name + "' twice: ");
    at[k] = i;
  }
  if (!at[business] || !at[end_user]) return wrong("");
  return at;
}

Result<store::OptOut> read_row(const Record& r, const Layout& at, std::size_t columns, std::int64_t now_ms,
                               const std::string& default_source) {
  if (r.fields.size() > columns)
    return std::unexpected(at_line(r.line, std::to_string(r.fields.size()) + " fields, but the header has " + std::to_string(columns)));
  auto get = [&](Column c) -> std::string { return at[c] && *at[c] < r.fields.size() ? trim(r.fields[*at[c]]) : ""; };
  store::OptOut o;
  for (auto [column, number] : {std::pair{business, &o.business_number}, std::pair{end_user, &o.end_user_number}}) {
    *number = get(column);
    if (number->empty()) return std::unexpected(at_line(r.line, std::string(kNames[column]) + " is missing"));
    if (!is_e164(*number))
      return std::unexpected(at_line(r.line, std::string(kNames[column]) + " '" + shown(*number) + "' is not an E.164 number (+ and up to 15 digits)"));
  }
  if (auto s = get(since); s.empty()) {
    o.since_ms = now_ms;
  } else if (auto t = parse_iso8601(s)) {
    o.since_ms = unix_ms(*t);
  } else {
    return std::unexpected(at_line(r.line, "since '" + shown(s) + "' is not an ISO 8601 time like 2025-09-14T17:03:14Z"));
  }
  o.source = get(source_col);
  if (o.source.empty()) o.source = default_source;
  else if (!is_word(o.source))
    return std::unexpected(at_line(r.line, "source '" + shown(o.source) + "' is not a word (letters, digits, - _ .; at most 64)"));
  return o;
}

}  // namespace

bool is_word(std::string_view s) {
  if (s.size() > kMaxSourceLength) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string to_csv(const std::vector<store::OptOut>& opt_outs) {
  std::string out(kHeader);
  out += '\n';
  out.reserve(out.size() + opt_outs.size() * 64);
  for (const auto& o : opt_outs) {
    out += csv_field(o.business_number);
    out += ',';
    out += csv_field(o.end_user_number);
    out += ',';
    out += iso(o.since_ms);
    out += ',';
    out += csv_field(o.source);
    out += '\n';
  }
  return out;
}

Result<std::vector<store::OptOut>> parse_csv(std::string_view text, std::int64_t now_ms, const std::string& source) {
  Reader reader(text);
  std::optional<Layout> layout;
  std::size_t columns = 0;
  std::vector<store::OptOut> out;
  while (true) {
    auto record = reader.next();
    if (!record) return std::unexpected(record.error());
    if (!*record) break;
    const auto& r = **record;
    if (r.blank) continue;
    if (!layout) {
      auto l = read_header(r);
      if (!l) return std::unexpected(l.error());
      layout = *l;
      columns = r.fields.size();
      continue;
    }
    auto row = read_row(r, *layout, columns, now_ms, source);
    if (!row) return std::unexpected(row.error());
    out.push_back(std::move(*row));
  }
  if (!layout)
    return fail(ErrorKind::invalid_input, "the CSV is empty: its first line must be the header " + std::string(kHeader));
  return out;
}

nlohmann::json to_json(const store::OptOut& o) {
  return {{"businessNumber", o.business_number},
          {"endUserNumber", o.end_user_number},
          {"since", iso(o.since_ms)},
          {"source", o.source},
          {"keyword", o.keyword}};
}

}  // namespace sms::compliance
