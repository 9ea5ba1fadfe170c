// SPDX-License-Identifier: MIT
// The compile server's client (client.h): a Beast HTTP client and the remote
// factory and instance over it.
#include "remote/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility> // before Boost.Asio 1.74, which uses std::exchange without it

#include "engine/mpsc_queue.h"
#include "http/json_scan.h"
#include "netjack/remote_processor.h"
#include "runtime/factory_info_codec.h"

namespace tutti::remote {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    Endpoint e;
    // https://HOST[:PORT][/]: TLS; http://: plain
    bool tls = false;
    for (std::string_view scheme : {"https://", "http://"}) {
        if (text.substr(0, scheme.size()) == scheme) {
            tls = scheme == "https://";
            text.remove_prefix(scheme.size());
            if (!text.empty() && text.back() == '/') {
                text.remove_suffix(1);
            }
        }
    }
    if (text.find('/') != std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view host = text, port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::nullopt;
            }
            port = rest.substr(1);
        }
    } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
        if (text.find(':') != colon) {
            host = text; // a bare IPv6 address
        } else {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
    }
    if (host.empty() || host.size() > 253) {
        return std::nullopt;
    }
    e.tls = tls;
    e.host = std::string(host);
    if (!text.empty() && text.back() == ':') {
        return std::nullopt;
    }
    if (!port.empty()) {
        int p = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || p > 65535) {
                return std::nullopt;
            }
            p = p * 10 + (c - '0');
        }
        if (p <= 0 || p > 65535) {
            return std::nullopt;
        }
        e.port = p;
    }
    return e;
}

namespace {

std::string where(const Endpoint& e) {
    return e.host + ":" + std::to_string(e.port);
}

/// The "error" member of an error answer, or its body.
std::string error_message(const Response& r) {
    if (auto ms = http::json_object_members(r.body)) {
        for (const http::JsonMember& m : *ms) {
            if (m.key == "error") {
                if (auto s = http::json_string_value(m.value)) {
                    return *s;
                }
            }
        }
    }
    return r.body.substr(0, 200);
}

/// The raw elements of a JSON array (validated by the caller's object parse).
std::vector<std::string_view> array_elements(std::string_view a) {
    std::vector<std::string_view> out;
    if (a.size() < 2 || a.front() != '[') {
        return out;
    }
    int depth = 0;
    bool in_string = false, escape = false;
    std::size_t start = 1;
    for (std::size_t i = 1; i + 1 < a.size(); ++i) {
        const char c = a[i];
        if (in_string) {
            if (escape) {
                escape = false;
            } else if (c == '\\') {
                escape = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 0) {
            out.push_back(a.substr(start, i - start));
            start = i + 1;
        }
    }
    std::string_view last = a.substr(start, a.size() - 1 - start);
    if (last.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        out.push_back(last);
    }
    return out;
}

std::optional<std::string_view> member_raw(const std::vector<http::JsonMember>& ms,
                                           std::string_view key) {
    for (const http::JsonMember& m : ms) {
        if (m.key == key) {
            return m.value;
        }
    }
    return std::nullopt;
}

std::vector<http::JsonMember> members_or_throw(std::string_view body, int max_depth = 64) {
    auto ms = http::json_object_members(body, max_depth);
    if (!ms) {
        throw RemoteError(0, "the server's answer is not JSON");
    }
    return std::move(*ms);
}

std::string string_member(const std::vector<http::JsonMember>& ms, std::string_view key) {
    auto raw = member_raw(ms, key);
    auto s = raw ? http::json_string_value(*raw) : std::nullopt;
    if (!s) {
        throw RemoteError(0, "the server's answer has no \"" + std::string(key) + "\"");
    }
    return *s;
}

double number_member(const std::vector<http::JsonMember>& ms, std::string_view key) {
    auto raw = member_raw(ms, key);
    auto v = raw ? http::json_number_value(*raw) : std::nullopt;
    if (!v) {
        throw RemoteError(0, "the server's answer has no number \"" + std::string(key) + "\"");
    }
    return *v;
}

/// The diagnostics of a failed compilation's answer (best effort).
std::vector<Diagnostic> diagnostics_of(std::string_view body) {
    std::vector<Diagnostic> out;
    auto ms = http::json_object_members(body, 64);
    if (!ms) {
        return out;
    }
    auto list = member_raw(*ms, "diagnostics");
    if (!list) {
        return out;
    }
    for (std::string_view e : array_elements(*list)) {
        auto dm = http::json_object_members(e, 16);
        if (!dm) {
            continue;
        }
        Diagnostic d;
        for (const http::JsonMember& m : *dm) {
            auto s = http::json_string_value(m.value);
            auto n = http::json_number_value(m.value);
            if (m.key == "id" && s) {
                d.id = *s;
            } else if (m.key == "message" && s) {
                d.message = *s;
            } else if (m.key == "file" && s) {
                d.file = *s;
            } else if (m.key == "line" && n) {
                d.line = std::uint32_t(*n);
            } else if (m.key == "column" && n) {
                d.column = std::uint32_t(*n);
            } else if (m.key == "end_line" && n) {
                d.end_line = std::uint32_t(*n);
            } else if (m.key == "end_column" && n) {
                d.end_column = std::uint32_t(*n);
            } else if (m.key == "source_line" && s) {
                d.source_line = *s;
            } else if (m.key == "severity" && s) {
                d.severity = *s == "warning"          ? Severity::Warning
                             : *s == "note"           ? Severity::Note
                             : *s == "internal error" ? Severity::Internal
                                                      : Severity::Error;
            }
        }
        out.push_back(std::move(d));
    }
    return out;
}

/// `s` for a URL's query or path: unreserved characters and '/' kept, the
/// rest %XX.
std::string url_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '_' || c == '-' ||
            c == '.') {
            out += c;
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            out += buf;
        }
    }
    return out;
}

std::string options_query(const RemoteCompileOptions& options) {
    return std::string("backend=") + (options.interpreter ? "interpreter" : "llvm") +
           "&double=" + (options.double_precision ? "1" : "0") +
           "&opt=" + std::to_string(options.opt_level) +
           "&math=" + (options.fast_math ? "fast" : "exact") +
           (options.voices >= 0 ? "&voices=" + std::to_string(options.voices) : std::string());
}

} // namespace

struct Client::Connection {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    std::optional<net::ssl::context> tls_context;
    std::optional<net::ssl::stream<beast::tcp_stream&>> tls; ///< over `stream` (https)
    beast::flat_buffer buffer;
    bool open = false;
};

Client::Client(Endpoint endpoint) : endpoint_(std::move(endpoint)) {
}
Client::~Client() = default;

std::string Client::local_address() {
    std::lock_guard lock(mutex_);
    if (!connection_ || !connection_->open) {
        return {};
    }
    beast::error_code ec;
    auto local = connection_->stream.socket().local_endpoint(ec);
    if (ec) {
        return {};
    }
    auto a = local.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string();
    }
    return a.to_string();
}

Response Client::request(std::string_view method, std::string_view target, std::string_view body,
                         std::string_view content_type) {
    std::lock_guard lock(mutex_);
    bhttp::request<bhttp::string_body> req;
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(bhttp::field::host, where(endpoint_));
    req.set(bhttp::field::user_agent, "tutti-remote");
    if (!endpoint_.token.empty()) {
        req.set(bhttp::field::authorization, "Bearer " + endpoint_.token);
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
        req.set(bhttp::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
        req.body() = std::string(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    // a kept connection the server closed meanwhile fails at once: one retry on a new one
    for (int attempt = 0;; ++attempt) {
        const bool reused = connection_ && connection_->open;
        beast::error_code ec;
        if (!reused) {
            connection_ = std::make_unique<Connection>();
            tcp::resolver resolver(connection_->ioc);
            auto results = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
            if (ec) {
                throw RemoteError(0, "cannot resolve " + endpoint_.host + ": " + ec.message());
            }
            connection_->stream.expires_after(endpoint_.timeout);
            connection_->stream.connect(results, ec);
            if (ec) {
                connection_.reset();
                throw RemoteError(0, "cannot reach the server at " + where(endpoint_) + ": " +
                                         ec.message());
            }
            if (endpoint_.tls) {
                start_tls(*connection_);
            }
            connection_->open = true;
        }
        Connection& c = *connection_;
        c.stream.expires_after(endpoint_.timeout);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(std::uint64_t(256) << 20);
        auto exchange = [&](auto& stream) {
            bhttp::write(stream, req, ec);
            if (!ec) {
                bhttp::read(stream, c.buffer, parser, ec);
            }
        };
        if (c.tls) {
            exchange(*c.tls);
        } else {
            exchange(c.stream);
        }
        if (ec) {
            connection_.reset();
            const bool closed_before_answer =
                ec == bhttp::error::end_of_stream || ec == net::error::connection_reset ||
                ec == net::error::broken_pipe || ec == net::error::eof;
            if (reused && attempt == 0 && closed_before_answer) {
                continue;
            }
            throw RemoteError(0, "the server at " + where(endpoint_) +
                                     " did not answer: " + ec.message() +
                                     (ec == beast::error::timeout ? " (timed out)" : ""));
        }
        auto& res = parser.get();
        Response r;
        r.status = int(res.result_int());
        r.content_type = std::string(res[bhttp::field::content_type]);
        r.body = std::move(res.body());
        if (!res.keep_alive()) {
            connection_.reset();
        }
        return r;
    }
}

void Client::start_tls(Connection& c) {
    beast::error_code ec;
    c.tls_context.emplace(net::ssl::context::tls_client);
    net::ssl::context& ctx = *c.tls_context;
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1);
    ctx.set_default_verify_paths(ec);
    if (!endpoint_.tls_ca.empty()) {
        ctx.load_verify_file(endpoint_.tls_ca, ec);
        if (ec) {
            connection_.reset();
            throw RemoteError(0, "cannot load the certificate '" + endpoint_.tls_ca +
                                     "' (--tls-ca): " + ec.message());
        }
    }
    ctx.set_verify_mode(net::ssl::verify_peer);
    c.tls.emplace(c.stream, ctx);
    c.tls->set_verify_callback(net::ssl::host_name_verification(endpoint_.host));
    // SNI: the host's name (not for an address)
    beast::error_code not_address;
    net::ip::make_address(endpoint_.host, not_address);
    if (not_address && !SSL_set_tlsext_host_name(c.tls->native_handle(), endpoint_.host.c_str())) {
        connection_.reset();
        throw RemoteError(0, "TLS: cannot set the server name " + endpoint_.host);
    }
    c.tls->handshake(net::ssl::stream_base::client, ec);
    if (ec) {
        std::string why = ec.message();
        if (ec.category() == net::error::get_ssl_category()) {
            const long verify = SSL_get_verify_result(c.tls->native_handle());
            if (verify != X509_V_OK) {
                why = std::string("the server's certificate is not trusted: ") +
                      X509_verify_cert_error_string(verify) +
                      " (give its CA with --tls-ca, or check the host name)";
            }
        }
        connection_.reset();
        throw RemoteError(0, "TLS with " + where(endpoint_) + " failed: " + why);
    }
}

Response Client::call(std::string_view method, std::string_view target, std::string_view body,
                      std::string_view content_type) {
    Response r = request(method, target, body, content_type);
    if (r.status < 200 || r.status >= 300) {
        throw RemoteError(r.status, "server " + where(endpoint_) + ": " + std::to_string(r.status) +
                                        ": " + error_message(r));
    }
    return r;
}

std::vector<Diagnostic> parse_diagnostics(std::string_view answer) {
    return diagnostics_of(answer);
}

std::vector<FactorySummary> list_factories(const Endpoint& server) {
    Client client(server);
    Response r = client.call("GET", "/v1/factories");
    auto ms = members_or_throw(r.body);
    auto list = member_raw(ms, "factories");
    if (!list) {
        throw RemoteError(0, "the server's answer has no factory list");
    }
    std::vector<FactorySummary> out;
    for (std::string_view e : array_elements(*list)) {
        auto fm = members_or_throw(e);
        FactorySummary s;
        s.key = string_member(fm, "key");
        s.name = string_member(fm, "name");
        s.options = string_member(fm, "options");
        s.last_use_ms = std::int64_t(number_member(fm, "last_use"));
        s.compile_ms = number_member(fm, "compile_ms");
        s.instances = int(number_member(fm, "instances"));
        out.push_back(std::move(s));
    }
    return out;
}

namespace {

std::shared_ptr<const RemoteFactory>
fetch_factory(const Endpoint& server, std::shared_ptr<Client> client, const std::string& key) {
    Response r = client->call("GET", "/v1/factories/" + key + "/info");
    std::string error;
    std::optional<FactoryInfo> info = decode_factory_info(r.body, &error);
    if (!info) {
        throw RemoteError(0, "the server's factory description is not valid: " + error);
    }
    return std::make_shared<const RemoteFactory>(server, std::move(client), std::move(*info));
}

} // namespace

RemoteFactory::RemoteFactory(Endpoint endpoint, std::shared_ptr<Client> client, FactoryInfo info)
    : Factory(std::move(info)), endpoint_(std::move(endpoint)), client_(std::move(client)) {
}

RemoteFactory::Created RemoteFactory::create(const Endpoint& server, const Bundle& bundle,
                                             const RemoteCompileOptions& options) {
    auto client = std::make_shared<Client>(server);
    const std::string target = "/v1/factories?" + options_query(options);
    Response r =
        client->request("POST", target, encode_bundle(bundle), "application/x-tutti-bundle");
    Created out;
    if (r.status == 422) {
        out.diagnostics = diagnostics_of(r.body);
        if (auto ms = http::json_object_members(r.body, 64)) {
            if (auto raw = member_raw(*ms, "compile_ms")) {
                out.compile_ms = http::json_number_value(*raw).value_or(0);
            }
        }
        if (out.diagnostics.empty()) {
            Diagnostic d;
            d.id = "remote_compile_failed";
            d.message = error_message(r);
            out.diagnostics.push_back(d);
        }
        return out;
    }
    if (r.status != 200 && r.status != 201) {
        throw RemoteError(r.status, "server " + where(server) + ": " + std::to_string(r.status) +
                                        ": " + error_message(r));
    }
    auto ms = members_or_throw(r.body);
    out.compile_ms = number_member(ms, "compile_ms");
    out.factory = fetch_factory(server, client, string_member(ms, "key"));
    return out;
}

std::shared_ptr<const RemoteFactory> RemoteFactory::lookup(const Endpoint& server,
                                                           const std::string& key) {
    return fetch_factory(server, std::make_shared<Client>(server), key);
}

void RemoteFactory::remove() const {
    client_->call("DELETE", "/v1/factories/" + content_key());
}

std::unique_ptr<Instance> RemoteFactory::make_instance(std::shared_ptr<const Factory> self) const {
    auto me = std::static_pointer_cast<const RemoteFactory>(self);
    const std::optional<LinkOptions> link = instance_link();
    auto inst = std::make_unique<RemoteInstance>(std::move(me), 0,
                                                 link && link->period > 0 ? link->period : 64);
    inst->auto_link_ = link.has_value();
    return inst;
}

void RemoteFactory::link_instances(std::optional<LinkOptions> options) const {
    std::lock_guard lock(link_mutex_);
    const_cast<RemoteFactory*>(this)->link_ = std::move(options);
}

std::optional<LinkOptions> RemoteFactory::instance_link() const {
    std::lock_guard lock(link_mutex_);
    return link_;
}

std::unique_ptr<RemoteInstance> RemoteFactory::create_remote_instance(int sample_rate,
                                                                      int block) const {
    auto me = std::static_pointer_cast<const RemoteFactory>(shared_from_this());
    return std::make_unique<RemoteInstance>(std::move(me), sample_rate, block);
}

/// The client's end of an instance's audio link: a NetJack master paced by
/// compute(), the blocks of the link's period assembled from any frame counts,
/// and the control values (set here, sent through the link at their frame).
struct RemoteInstance::AudioLink {
    struct Change {
        std::uint32_t index = 0;
        float value = 0;
    };
    netjack::RemoteProcessor processor;
    LinkOptions options;
    std::string server_json = "null";
    int period = 64, sends = 0, returns = 0, latency = 2;
    std::uint16_t port = 0;
    std::size_t controls = 0;
    std::unique_ptr<std::atomic<double>[]> values;
    engine::MpscQueue<Change> queue{1024};
    std::vector<float> in_storage, out_storage;
    std::vector<const float*> in_ptrs;
    std::vector<float*> out_ptrs;
    int pos = 0;
    std::size_t prime_next = 0; ///< the controls sent once the server joined
    std::atomic<std::thread::id> audio_thread{};
    std::atomic<std::uint64_t> blocks{0};
    /// Which controls are the program's bargraphs (outputs): the server sends
    /// their values back through the link; other indices it sends are ignored.
    std::unique_ptr<std::atomic<bool>[]> bargraph;
    std::atomic<std::uint64_t> meters_received{0};

    void mark_bargraphs(const std::vector<Parameter>& ps) {
        for (std::size_t i = 0; i < controls; ++i) {
            const bool b = i < ps.size() && (ps[i].kind == Parameter::Kind::VBargraph ||
                                             ps[i].kind == Parameter::Kind::HBargraph);
            bargraph[i].store(b, std::memory_order_relaxed);
        }
    }
    /// The processor's thread (compute()'s): what the server sent back.
    struct Meters final : netjack::ControlSink {
        AudioLink* link = nullptr;
        void controls(const netjack::ControlChange* changes, int count) noexcept override {
            for (int i = 0; i < count; ++i) {
                const netjack::ControlChange& c = changes[i];
                if (c.index < link->controls &&
                    link->bargraph[c.index].load(std::memory_order_relaxed)) {
                    link->values[c.index].store(c.value, std::memory_order_relaxed);
                    link->meters_received.fetch_add(1, std::memory_order_relaxed);
                }
            }
        }
    } meters;

    bool on_audio_thread() const {
        return audio_thread.load(std::memory_order_relaxed) == std::this_thread::get_id();
    }

    /// Any thread: a control change; false when `index` is beyond the link's.
    bool set(std::size_t index, double value) noexcept {
        if (index >= controls) {
            return false;
        }
        values[index].store(value, std::memory_order_relaxed);
        if (on_audio_thread()) {
            // between two compute() calls of this thread: at the frame reached
            processor.send_control(std::uint32_t(pos), std::uint32_t(index), float(value));
        } else {
            queue.push(Change{std::uint32_t(index), float(value)});
        }
        return true;
    }

    /// Changes at a frame of a link block not assembled yet (set_at).
    struct Later {
        std::uint64_t frame = 0; ///< link frame (frames compute() was given before it)
        std::uint32_t index = 0;
        float value = 0;
    };
    std::array<Later, 256> later{};
    std::size_t later_n = 0;
    std::uint64_t assembled = 0; ///< frames compute() was given (pos is its rest)

    /// The audio thread, before compute(): `index` set at frame `offset` of
    /// the frames the next compute() gives.
    bool set_at(int offset, std::size_t index, double value) noexcept {
        if (index >= controls) {
            return false;
        }
        values[index].store(value, std::memory_order_relaxed);
        const std::uint64_t at = assembled + std::uint64_t(std::max(offset, 0));
        const std::uint64_t block_start = assembled - std::uint64_t(pos);
        if (at < block_start + std::uint64_t(period)) {
            processor.send_control(std::uint32_t(at - block_start), std::uint32_t(index),
                                   float(value));
            return true;
        }
        if (later_n == later.size()) {
            return false;
        }
        later[later_n++] = Later{at, std::uint32_t(index), float(value)};
        return true;
    }

    /// A new link block begins at link frame `start`: the changes set for it.
    void send_later(std::uint64_t start) noexcept {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < later_n; ++i) {
            const Later& l = later[i];
            if (l.frame < start + std::uint64_t(period)) {
                processor.send_control(std::uint32_t(l.frame >= start ? l.frame - start : 0),
                                       l.index, l.value);
            } else {
                later[kept++] = l;
            }
        }
        later_n = kept;
    }

    void compute(int frames, const float* const* in, float* const* out) noexcept {
        audio_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
        Change c;
        while (queue.pop(c)) {
            processor.send_control(std::uint32_t(pos), c.index, c.value);
        }
        if (prime_next < controls && processor.connected()) {
            // the server joined: every value once, then the link's sweep keeps them
            const std::size_t end = std::min(controls, prime_next + 96);
            for (; prime_next < end; ++prime_next) {
                processor.send_control(std::uint32_t(pos), std::uint32_t(prime_next),
                                       float(values[prime_next].load(std::memory_order_relaxed)));
            }
        }
        int done = 0;
        while (done < frames) {
            const int n = std::min(frames - done, period - pos);
            for (int ch = 0; ch < sends; ++ch) {
                std::copy(in[ch] + done, in[ch] + done + n, in_storage.data() + ch * period + pos);
            }
            for (int ch = 0; ch < returns; ++ch) {
                const float* from = out_storage.data() + ch * period + pos;
                std::copy(from, from + n, out[ch] + done);
            }
            pos += n;
            done += n;
            assembled += std::uint64_t(n);
            if (pos == period) {
                processor.process(in_ptrs.data(), out_ptrs.data());
                blocks.fetch_add(1, std::memory_order_relaxed);
                pos = 0;
                if (later_n > 0) {
                    send_later(assembled);
                }
            }
        }
    }
};

/// A thread that renews a server instance's lease: GET /v1/instances/ID every
/// third of its idle timeout, on a connection of its own (so that it never
/// waits behind the instance's other requests); errors are ignored (a server
/// that went away took the instance with it).
struct RemoteInstance::Lease {
    Lease(Endpoint endpoint, std::string id, double idle_s)
        : target_("/v1/instances/" + std::move(id)) {
        period_ = std::chrono::milliseconds(std::max<std::int64_t>(20, std::int64_t(idle_s * 333)));
        endpoint.timeout = std::chrono::milliseconds(
            std::clamp<std::int64_t>(std::int64_t(idle_s * 500), 200, 5000));
        client_ = std::make_unique<Client>(std::move(endpoint));
        thread_ = std::thread([this] { run(); });
    }
    ~Lease() {
        {
            std::lock_guard lock(m_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

private:
    void run() {
        std::unique_lock lock(m_);
        while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
            lock.unlock();
            try {
                client_->request("GET", target_);
            } catch (const RemoteError&) {
                // unreachable now: the next renewal tries again
            }
            lock.lock();
        }
    }
    std::string target_;
    std::chrono::milliseconds period_{20000};
    std::unique_ptr<Client> client_;
    std::mutex m_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

RemoteInstance::RemoteInstance(std::shared_ptr<const RemoteFactory> factory, int sample_rate,
                               int block)
    : Instance(factory), factory_(factory), current_(factory), client_(factory->client_),
      sample_rate_(sample_rate), block_(block) {
    if (sample_rate > 0) {
        create_on_server();
    }
}

RemoteInstance::~RemoteInstance() {
    delete_on_server(); // the server's slave stops with its instance
    active_.store(nullptr);
    link_.reset();
}

void RemoteInstance::create_on_server() {
    const std::string body = "{\"factory\":\"" + current_->content_key() +
                             "\",\"sample_rate\":" + std::to_string(sample_rate_) +
                             ",\"block\":" + std::to_string(block_) + "}";
    Response r = client_->call("POST", "/v1/instances", body);
    auto ms = members_or_throw(r.body);
    id_ = string_member(ms, "id");
    running_ = false;
    dirty_ = false;
    idle_timeout_s_ = 0;
    if (auto raw = member_raw(ms, "idle_timeout")) { // a server that expires idle instances
        idle_timeout_s_ = std::max(0.0, http::json_number_value(*raw).value_or(0));
    }
    if (idle_timeout_s_ > 0) {
        lease_ = std::make_unique<Lease>(client_->endpoint(), id_, idle_timeout_s_);
    }
}

void RemoteInstance::delete_on_server() noexcept {
    lease_.reset();
    if (id_.empty()) {
        return;
    }
    try {
        client_->request("DELETE", "/v1/instances/" + id_);
    } catch (const RemoteError&) {
        // the server is gone: so is the instance
    }
    id_.clear();
}

void RemoteInstance::start() {
    client_->call("POST", "/v1/instances/" + id_ + "/start");
    running_ = true;
    dirty_ = true;
}

void RemoteInstance::stop() {
    client_->call("POST", "/v1/instances/" + id_ + "/stop");
    running_ = false;
}

bool RemoteInstance::running() const {
    return running_;
}

std::string RemoteInstance::swap(const std::shared_ptr<const RemoteFactory>& factory) {
    Response r = client_->call("PUT", "/v1/instances/" + id_ + "/factory",
                               "{\"factory\":\"" + factory->content_key() + "\"}");
    current_ = factory;
    if (link_) {
        link_->mark_bargraphs(factory->parameters());
        refresh_values(); // the new version's controls, as the server carried them
    }
    auto ms = members_or_throw(r.body);
    auto swap = member_raw(ms, "swap");
    return swap ? std::string(*swap) : std::string("{}");
}

std::shared_ptr<const RemoteFactory> RemoteInstance::current_factory() const {
    return current_;
}

RemoteMachineCode compile_machine_code(const Endpoint& server, const Bundle& bundle,
                                       const MachineTarget& target,
                                       const RemoteCompileOptions& options) {
    Client client(server);
    const std::string target_query =
        "/v1/machine_code?" + options_query(options) + "&triple=" + url_escape(target.triple) +
        "&cpu=" + url_escape(target.cpu) + "&features=" + url_escape(target.features);
    Response r =
        client.request("POST", target_query, encode_bundle(bundle), "application/x-tutti-bundle");
    RemoteMachineCode out;
    if (r.status == 422) {
        out.diagnostics = diagnostics_of(r.body);
        return out;
    }
    if (r.status == 409) {
        out.refused = error_message(r);
        return out;
    }
    if (r.status != 200) {
        throw RemoteError(r.status, "server " + where(server) + ": " + std::to_string(r.status) +
                                        ": " + error_message(r));
    }
    std::string error;
    out.code = decode_machine_code(r.body, &error);
    if (!out.code) {
        throw RemoteError(0, "the server's machine code does not decode: " + error);
    }
    return out;
}

double RemoteInstance::value(std::string_view path) {
    if (AudioLink* link = active_.load(std::memory_order_acquire)) {
        // linked: what was set here, and the bargraphs as the link brings them
        const auto& ps = current_->parameters();
        for (std::size_t i = 0; i < ps.size() && i < link->controls; ++i) {
            if (ps[i].named(path)) {
                return link->values[i].load(std::memory_order_relaxed);
            }
        }
    }
    const std::string escaped = url_escape(path);
    Response r = client_->call("GET", "/v1/instances/" + id_ + "/controls?path=" + escaped);
    return number_member(members_or_throw(r.body), "value");
}

void RemoteInstance::instance_constants(int sample_rate) {
    if (sample_rate != sample_rate_ || id_.empty()) {
        const bool relink = link_ != nullptr || auto_link_;
        std::optional<LinkOptions> options;
        if (link_) {
            options = link_options_copy();
        } else if (auto_link_) {
            options = factory_->instance_link();
        }
        disconnect_audio();
        delete_on_server();
        sample_rate_ = sample_rate;
        create_on_server();
        if (relink && options) {
            connect_audio(*options);
        }
    }
}

void RemoteInstance::reset_controls() {
    client_->call("POST", "/v1/instances/" + id_ + "/reset_controls");
    if (link_) {
        const auto& ps = current_->parameters();
        for (std::size_t i = 0; i < ps.size(); ++i) {
            set_parameter(i, ps[i].init);
        }
    }
}

void RemoteInstance::clear() {
    if (!dirty_ && link_blocks() == 0) {
        return; // made and never played: its state is clear
    }
    // the engine has no clear: a new instance of the same factory
    const bool was_running = running_;
    delete_on_server();
    create_on_server();
    if (link_) {
        LinkOptions o = link_options_copy();
        disconnect_audio();
        connect_audio(o);
    } else if (was_running) {
        start();
    }
}

void RemoteInstance::compute(int frames, const void* const* inputs, void* const* outputs) {
    if (AudioLink* link = active_.load(std::memory_order_acquire)) {
        link->compute(frames, reinterpret_cast<const float* const*>(inputs),
                      reinterpret_cast<float* const*>(outputs));
        return;
    }
    if (transport_) {
        transport_->compute(frames, inputs, outputs);
        return;
    }
    // no network audio link yet: silence, and the refusal counted
    const std::size_t bytes =
        std::size_t(frames) * (factory().double_precision() ? sizeof(double) : sizeof(float));
    for (int c = 0; c < num_outputs(); ++c) {
        std::memset(outputs[c], 0, bytes);
    }
    refused_.fetch_add(1, std::memory_order_relaxed);
}

void RemoteInstance::set_transport(std::unique_ptr<RemoteTransport> transport) {
    transport_ = std::move(transport);
}

void RemoteInstance::set_parameter(std::size_t index, double value) {
    if (AudioLink* link = active_.load(std::memory_order_acquire)) {
        const auto& ps = current_->parameters();
        if (index < ps.size()) {
            const Parameter& p = ps[index];
            value = std::clamp(value, std::min(p.min, p.max), std::max(p.min, p.max));
        }
        if (link->set(index, value)) {
            return;
        }
        if (link->on_audio_thread()) {
            return; // beyond the link's controls: not from the audio thread
        }
    }
    client_->call("PUT", "/v1/instances/" + id_ + "/controls",
                  "{\"index\":" + std::to_string(index) + ",\"value\":" + http::json_number(value) +
                      "}");
}

void RemoteInstance::send_note(const NoteEvent& note) {
    const char* type = note.type == NoteEvent::Type::On    ? "on"
                       : note.type == NoteEvent::Type::Off ? "off"
                                                           : "alloff";
    client_->call("POST", "/v1/instances/" + id_ + "/note?type=" + type +
                              "&key=" + std::to_string(note.key) +
                              "&velocity=" + std::to_string(note.velocity) +
                              "&channel=" + std::to_string(note.channel));
}

bool RemoteInstance::set_parameter_in_block(int offset, std::size_t index, double value) noexcept {
    AudioLink* link = active_.load(std::memory_order_acquire);
    if (link == nullptr) {
        return false;
    }
    const auto& ps = current_->parameters();
    if (index < ps.size()) {
        const Parameter& p = ps[index];
        value = std::clamp(value, std::min(p.min, p.max), std::max(p.min, p.max));
    }
    return link->set_at(offset, index, value);
}

double RemoteInstance::get_parameter(std::size_t index) const {
    if (AudioLink* link = active_.load(std::memory_order_acquire)) {
        if (index < link->controls) {
            return link->values[index].load(std::memory_order_relaxed);
        }
        if (link->on_audio_thread()) {
            return 0;
        }
    }
    Response r =
        client_->call("GET", "/v1/instances/" + id_ + "/controls?index=" + std::to_string(index));
    return number_member(members_or_throw(r.body), "value");
}

StateImage RemoteInstance::read_state_image() const {
    Response r = client_->call("GET", "/v1/instances/" + id_ + "/state");
    std::string error;
    std::optional<StateImage> image = decode_state_image(r.body, &error);
    if (!image) {
        throw RemoteError(0, "the server's state does not decode: " + error);
    }
    return std::move(*image);
}

std::uint64_t RemoteInstance::write_state_image(const StateImage& image, bool partial) {
    Response r =
        client_->call("PUT", "/v1/instances/" + id_ + "/state" + (partial ? "?partial=1" : ""),
                      encode_state_image(image), "application/x-tutti-state");
    dirty_ = true;
    auto ms = members_or_throw(r.body);
    auto report = member_raw(ms, "state");
    if (!report) {
        throw RemoteError(0, "the server's answer has no state report");
    }
    auto rs = members_or_throw(*report);
    auto committed = member_raw(rs, "committed");
    if (!committed || *committed != "true") {
        throw RemoteError(0, "the server took the state but did not commit it in time");
    }
    return std::uint64_t(number_member(rs, "commit_frame"));
}

void RemoteInstance::read_state(std::span<std::byte> to) const {
    StateImage image = read_state_image();
    if (image.bytes.size() != to.size()) {
        throw RemoteError(0, "RemoteInstance::read_state: the server's state has " +
                                 std::to_string(image.bytes.size()) + " bytes, not " +
                                 std::to_string(to.size()));
    }
    std::memcpy(to.data(), image.bytes.data(), to.size());
}

void RemoteInstance::write_state(std::span<const std::byte> from) {
    StateImage image;
    image.layout = current_->info();
    if (from.size() != image.layout.state_bytes) {
        throw RemoteError(0, "RemoteInstance::write_state: " + std::to_string(from.size()) +
                                 " bytes, the state block has " +
                                 std::to_string(image.layout.state_bytes));
    }
    image.bytes.assign(from.begin(), from.end());
    write_state_image(image);
}

void RemoteInstance::process_block(int frames, const float* const* inputs, float* const* outputs) {
    const int nin = std::max(current_->num_inputs(), 1);
    const int nout = std::max(current_->num_outputs(), 1);
    const std::size_t n = std::size_t(frames);
    std::string body(n * std::size_t(nin) * sizeof(float), '\0');
    for (int c = 0; c < nin; ++c) {
        std::memcpy(body.data() + std::size_t(c) * n * sizeof(float), inputs[c], n * sizeof(float));
    }
    Response r =
        client_->call("POST", "/v1/instances/" + id_ + "/process?frames=" + std::to_string(frames),
                      body, "application/octet-stream");
    if (r.body.size() != n * std::size_t(nout) * sizeof(float)) {
        throw RemoteError(0, "the server's block has " + std::to_string(r.body.size()) +
                                 " bytes, not " + std::to_string(n * std::size_t(nout) * 4));
    }
    dirty_ = true;
    for (int c = 0; c < nout; ++c) {
        std::memcpy(outputs[c], r.body.data() + std::size_t(c) * n * sizeof(float),
                    n * sizeof(float));
    }
}

void RemoteInstance::process_blocks(int frames, int blocks, const float* inputs, float* outputs) {
    const std::size_t nin = std::size_t(std::max(current_->num_inputs(), 1));
    const std::size_t nout = std::size_t(std::max(current_->num_outputs(), 1));
    const std::size_t n = std::size_t(frames) * std::size_t(blocks);
    const std::string_view body(reinterpret_cast<const char*>(inputs), n * nin * sizeof(float));
    Response r =
        client_->call("POST",
                      "/v1/instances/" + id_ + "/process?frames=" + std::to_string(frames) +
                          "&blocks=" + std::to_string(blocks),
                      body, "application/octet-stream");
    if (r.body.size() != n * nout * sizeof(float)) {
        throw RemoteError(0, "the server's blocks have " + std::to_string(r.body.size()) +
                                 " bytes, not " + std::to_string(n * nout * sizeof(float)));
    }
    dirty_ = true;
    std::memcpy(outputs, r.body.data(), r.body.size());
}

// ---------------------------------------------------------------- the audio link

LinkOptions RemoteInstance::link_options_copy() const {
    return link_ ? link_->options : LinkOptions{};
}

void RemoteInstance::connect_audio(const LinkOptions& options) {
    disconnect_audio();
    if (id_.empty()) {
        create_on_server();
    }
    if (current_->double_precision()) {
        throw RemoteError(0, "a double-precision program cannot use the audio link (float)");
    }
    auto link = std::make_unique<AudioLink>();
    link->options = options;
    link->period = options.period > 0 ? options.period : block_;
    link->latency = std::clamp(options.latency, 1, 30);
    link->sends = current_->num_inputs();
    link->returns = current_->num_outputs();
    const std::size_t nparams = current_->parameters().size();
    link->controls = options.controls > 0 ? std::size_t(options.controls)
                                          : std::clamp<std::size_t>(2 * nparams, 64, 4096);
    link->values = std::make_unique<std::atomic<double>[]>(link->controls);
    for (std::size_t i = 0; i < link->controls; ++i) {
        link->values[i].store(i < nparams ? current_->parameters()[i].init : 0.0);
    }
    link->bargraph = std::make_unique<std::atomic<bool>[]>(link->controls);
    link->mark_bargraphs(current_->parameters());
    // where we listen: this machine's address on the connection to the server
    std::string address, port_text;
    if (const std::size_t colon = options.listen.rfind(':'); colon != std::string::npos) {
        address = options.listen.substr(0, colon);
        port_text = options.listen.substr(colon + 1);
    } else {
        address = options.listen;
    }
    if (address.empty()) {
        address = client_->local_address();
        if (address.empty()) {
            client_->call("GET", "/v1/health");
            address = client_->local_address();
        }
    }
    if (address.empty() || address.find(':') != std::string::npos) {
        throw RemoteError(0, "the audio link is IPv4: this machine's address on the connection "
                             "to the server is '" +
                                 address + "' (give LinkOptions::listen)");
    }
    const int asked = port_text.empty() ? 0 : std::atoi(port_text.c_str());
    netjack::RemoteProcessor::Options po;
    po.sends = link->sends;
    po.returns = link->returns;
    po.period = link->period;
    po.sample_rate = sample_rate_;
    po.controls = int(link->controls);
    link->meters.link = link.get();
    po.control_sink = &link->meters; // the bargraphs, back from the server
    po.reply_wait_ms = options.reply_wait_ms;
    po.slave_name = netjack::remote_slave_name(id_);
    // the port asked for, or the first of 19100..19499 this process can bind
    // (opening is the test: another process binding between a probe and the
    // open would share nothing, the port is bound exclusively)
    std::string error;
    const int first = asked != 0 ? asked : 19100;
    const int last = asked != 0 ? asked : 19499;
    int port = first;
    for (;; ++port) {
        po.listen = address + ":" + std::to_string(port);
        if (link->processor.open(po, &error)) {
            break;
        }
        if (port >= last) {
            throw RemoteError(0, asked != 0
                                     ? "the audio link cannot listen on " + po.listen + ": " + error
                                     : "no free UDP port for the audio link on " + address +
                                           " (19100-19499): " + error);
        }
    }
    link->port = std::uint16_t(port);
    const std::size_t frames = std::size_t(link->period);
    link->in_storage.assign(std::size_t(std::max(link->sends, 1)) * frames, 0.0f);
    link->out_storage.assign(std::size_t(std::max(link->returns, 1)) * frames, 0.0f);
    for (int ch = 0; ch < link->sends; ++ch) {
        link->in_ptrs.push_back(link->in_storage.data() + std::size_t(ch) * frames);
    }
    for (int ch = 0; ch < link->returns; ++ch) {
        link->out_ptrs.push_back(link->out_storage.data() + std::size_t(ch) * frames);
    }
    std::string body = "{\"link\":{";
    body += options.master.empty() ? "\"port\":" + std::to_string(port)
                                   : "\"master\":" + http::json_quote(options.master);
    body += ",\"latency\":" + std::to_string(link->latency);
    body += ",\"format\":" + http::json_quote(options.format);
    body += ",\"period\":" + std::to_string(link->period);
    body += ",\"controls\":" + std::to_string(link->controls);
    body += ",\"timeout\":" + http::json_number(std::clamp(options.timeout_s, 0.1, 30.0));
    // a new master counts its cycles from 1, the first compute() block's:
    // the server's slave computes one block for each from there (a lost one
    // concealed, never skipped), which moving a program relies on
    body += ",\"first_cycle\":1";
    body += "}}";
    Response r = client_->call("POST", "/v1/instances/" + id_ + "/start", body);
    if (auto raw = member_raw(members_or_throw(r.body), "link")) {
        link->server_json = std::string(*raw);
    }
    running_ = true;
    link_ = std::move(link);
    refresh_values();
    active_.store(link_.get(), std::memory_order_release);
}

void RemoteInstance::refresh_values() {
    if (!link_) {
        return;
    }
    try {
        Response r = client_->call("GET", "/v1/instances/" + id_ + "/controls");
        auto list = member_raw(members_or_throw(r.body), "controls");
        if (!list) {
            return;
        }
        for (std::string_view e : array_elements(*list)) {
            auto ms = members_or_throw(e);
            const double index = number_member(ms, "index");
            if (index >= 0 && std::size_t(index) < link_->controls) {
                link_->values[std::size_t(index)].store(number_member(ms, "value"));
            }
        }
    } catch (const RemoteError&) {
        // the values stay the ones known here
    }
}

void RemoteInstance::disconnect_audio() {
    if (!link_) {
        return;
    }
    active_.store(nullptr, std::memory_order_release);
    try {
        client_->call("POST", "/v1/instances/" + id_ + "/stop");
    } catch (const RemoteError&) {
        // the server is gone: so is its end of the link
    }
    running_ = false;
    dirty_ = dirty_ || link_->blocks.load() > 0;
    link_->processor.close();
    link_.reset();
}

bool RemoteInstance::audio_linked() const {
    return active_.load(std::memory_order_acquire) != nullptr;
}
bool RemoteInstance::audio_connected() const {
    AudioLink* l = active_.load(std::memory_order_acquire);
    return l != nullptr && l->processor.connected();
}
int RemoteInstance::latency_frames() const {
    return link_ ? (link_->latency + 1) * link_->period : 0;
}
bool RemoteInstance::link_frames_before(const StateImage& image, std::uint64_t* frames) const {
    if (!link_ || !image.linked || image.link_cycle == 0) {
        return false;
    }
    *frames = std::uint64_t(image.link_cycle - 1) * std::uint64_t(link_->period);
    return true;
}
int RemoteInstance::link_period() const {
    return link_ ? link_->period : 0;
}
int RemoteInstance::link_latency() const {
    return link_ ? link_->latency : 0;
}
std::uint16_t RemoteInstance::link_port() const {
    return link_ ? link_->port : 0;
}
std::uint64_t RemoteInstance::link_blocks() const {
    return link_ ? link_->blocks.load(std::memory_order_relaxed) : 0;
}
std::uint64_t RemoteInstance::link_meters_received() const {
    return link_ ? link_->meters_received.load(std::memory_order_relaxed) : 0;
}
std::uint64_t RemoteInstance::link_concealed() const {
    return link_ ? link_->processor.counters().cycles_concealed.load(std::memory_order_relaxed) : 0;
}
const std::string& RemoteInstance::link_json() const {
    static const std::string none = "null";
    return link_ ? link_->server_json : none;
}

} // namespace tutti::remote
