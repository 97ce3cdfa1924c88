#include "base/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "base/utf8.hpp"

namespace orderflow {

std::optional<boost::json::value> try_parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

namespace {
namespace json = boost::json;

// Builds the value as Boost.JSON's own parser does (value_stack), with the two rules of
// parse_request_json on top.
class RequestHandler {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  explicit RequestHandler(std::span<const std::string_view> verbatim_paths)
      : verbatim_paths_(verbatim_paths) {}

  json::value_stack stack;
  bool found_nul = false;

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return enter(true); }
  bool on_object_end(std::size_t n, json::error_code&) {
    return leave([&] { stack.push_object(n); });
  }
  bool on_array_begin(json::error_code&) { return enter(false); }
  bool on_array_end(std::size_t n, json::error_code&) {
    return leave([&] { stack.push_array(n); });
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) {
    key_ += s;
    return no_nul(s, ec);
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_ += s;
    if (!no_nul(s, ec)) return false;
    stack.push_key(key_);
    frames_.back().key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    stack.push_chars(s);
    return no_nul(s, ec);
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, ec)) return false;
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_ += s;
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view s, json::error_code&) {
    if (!push_verbatim(s)) stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view s, json::error_code&) {
    if (!push_verbatim(s)) stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    if (!push_verbatim(s)) stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  bool enter(bool object) {
    frames_.push_back({object, {}});
    return true;
  }
  template <typename Push>
  bool leave(Push push) {
    frames_.pop_back();
    push();
    return true;
  }

  struct Frame {
    bool object;
    std::string key;  // of the value being read, in an object
  };

  bool no_nul(json::string_view s, json::error_code& ec) {
    if (s.find('\0') == json::string_view::npos) return true;
    found_nul = true;
    ec = json::error::syntax;
    return false;
  }

  // Pushes the number's text as a string when the value's path is a verbatim one.
  bool push_verbatim(json::string_view last_part) {
    std::string text = std::move(number_);
    number_.clear();
    if (verbatim_paths_.empty() || frames_.empty()) return false;
    std::string path;
    for (const auto& f : frames_) {
      if (!f.object) {
        path += "[]";
        continue;
      }
      if (!path.empty()) path += '.';
      path += f.key;
    }
    if (std::find(verbatim_paths_.begin(), verbatim_paths_.end(), path) == verbatim_paths_.end())
      return false;
    text.append(last_part.data(), last_part.size());
    stack.push_string(text);
    return true;
  }

  std::span<const std::string_view> verbatim_paths_;
  std::vector<Frame> frames_;
  std::string key_, number_;
};
}  // namespace

RequestJson parse_request_json(std::string_view text,
                               std::span<const std::string_view> verbatim_paths) {
  json::basic_parser<RequestHandler> parser(json::parse_options{}, verbatim_paths);
  json::error_code ec;
  const auto used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size()) {
    const bool nul = parser.handler().found_nul;
    return {std::nullopt, nul ? "a string holds a NUL character (\\u0000)" : "malformed JSON"};
  }
  return {parser.handler().stack.release(), {}};
}

namespace {
// Appends `s` as a JSON string, escaped as Boost.JSON's serializer escapes (quote, backslash,
// control characters), without the temporary string json::serialize would make.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // where the characters not yet appended start
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Untrusted bytes echoed into a body or a log line stay valid UTF-8.
void write_string(std::string& out, boost::json::string_view s) {
  if (is_valid_utf8(s))
    append_escaped(out, s);
  else
    append_escaped(out, to_valid_utf8(s));
}

template <typename Integer>
void append_integer(std::string& out, Integer n) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, end);
}

void write_json(std::string& out, const boost::json::value& v) {
  namespace json = boost::json;
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;  // shortest round trip
      out.append(buf, end);
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        write_string(out, key);
        out += ':';
        write_json(out, value);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& value : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, value);
      }
      out += ']';
      return;
    }
    case json::kind::string:
      write_string(out, v.get_string());
      return;
    case json::kind::int64:
      append_integer(out, v.get_int64());
      return;
    case json::kind::uint64:
      append_integer(out, v.get_uint64());
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::null:
      out += "null";
      return;
  }
}
}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  write_json(out, v);
  return out;
}

}  // namespace orderflow
