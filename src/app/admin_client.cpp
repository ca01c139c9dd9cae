#include "app/admin_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace accord {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Error failure(std::string message) {
  return Error::internal(ErrorKind::kInternal, std::move(message));
}

Result<std::string> read_admin_key(const AdminTarget& t) {
  if (!t.key_file.empty()) {
    std::ifstream in(t.key_file);
    if (!in) return failure(fmt::format("cannot read the admin key file {}", t.key_file));
    std::stringstream text;
    text << in.rdbuf();
    return std::string(trim(text.str()));
  }
  const char* key = std::getenv(t.key_env.c_str());
  if (key == nullptr || *key == '\0') {
    return failure(
        fmt::format("set {} to an operator key or a party's admin key (or give "
                    "--admin-key-file)",
                    t.key_env));
  }
  return std::string(key);
}

struct HostPort {
  std::string host, port, base_path;
};

Result<HostPort> split_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return failure(fmt::format("--url {}: expected http://HOST:PORT", url));
  }
  url.remove_prefix(kScheme.size());
  HostPort out;
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.base_path = std::string(url.substr(slash));
  while (out.base_path.ends_with('/')) out.base_path.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.ends_with(']')) {
    out.host = std::string(authority);
    out.port = "80";
  } else {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.starts_with('[') && out.host.ends_with(']')) {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return failure(fmt::format("--url {}: no host", url));
  return out;
}

}  // namespace

Result<AdminReply> admin_call(const AdminTarget& target, std::string_view method,
                              std::string_view path, std::string_view body) {
  auto key = read_admin_key(target);
  if (!key.ok()) return key.take_error();
  auto where = split_url(target.url);
  if (!where.ok()) return where.take_error();
  const HostPort& hp = where.value();
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(hp.host, hp.port));
    http::request<http::string_body> request(http::string_to_verb(method),
                                             hp.base_path + std::string(path), 11);
    request.set(http::field::host, hp.host);
    request.set(http::field::authorization, "Bearer " + key.value());
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = std::string(body);
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return AdminReply{static_cast<int>(response.result_int()), std::move(response.body())};
  } catch (const std::exception& e) {
    return failure(fmt::format("cannot reach {}: {}", target.url, e.what()));
  }
}

}  // namespace accord
