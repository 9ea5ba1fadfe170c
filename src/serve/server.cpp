// SPDX-License-Identifier: MIT
// tutti serve's HTTP server (server.h) on Boost.Beast.
#include "serve/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <utility> // before Boost.Asio 1.74, which uses std::exchange without it
#include <vector>

#include "control/control_hub.h"
#include "support/loopback.h"

namespace tutti::serve {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

struct Server::Impl {
    Service& service;
    ServerOptions opt;
    std::string token; ///< "" on loopback
    bool token_required = false;
    // declared before the io_context: sessions destroyed with it still count down
    std::atomic<std::size_t> connections{0}, requests{0}, refused{0}, limited{0};
    /// Compilations whose answer is still to come: the server waits for them
    /// when it is destroyed (their callbacks hold sessions).
    std::atomic<std::size_t> pending{0};
    std::atomic<bool> stopped{false};
    /// Starts of instances with an audio link (they wait for the client's
    /// NetJack master, up to the link's timeout): each on a thread of its own,
    /// never on a network thread; at most kMaxLinking at once; joined by stop().
    static constexpr std::size_t kMaxLinking = 8;
    struct Linking {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::mutex linking_mutex;
    std::vector<Linking> linking;
    std::atomic<std::size_t> linking_now{0};
    struct Bucket {
        double tokens = 0;
        std::chrono::steady_clock::time_point at{};
    };
    std::mutex buckets_mutex;
    std::map<std::string, Bucket> buckets;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::optional<net::ssl::context> tls; ///< https (ServerOptions::tls_cert)
    std::vector<std::thread> threads;
    int bound_port = 0;
    bool started = false;

    Impl(Service& s, ServerOptions o) : service(s), opt(std::move(o)) {
    }
    void accept();
    /// Whether a request from `peer` may go through now (its bucket has a token).
    bool take_token(const std::string& peer) {
        return take_token(peer, opt.requests_per_second, opt.request_burst);
    }
    /// The same with the bucket `key` refilled at `rate`, up to `burst`.
    bool take_token(const std::string& key, double rate, double burst);
};

bool Server::Impl::take_token(const std::string& key, double rate, double burst) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(buckets_mutex);
    if (buckets.size() > 4096) {
        buckets.clear(); // bounded: forget every peer rather than grow
    }
    auto [it, fresh] = buckets.try_emplace(key);
    Bucket& b = it->second;
    if (fresh) {
        b.tokens = burst;
    } else {
        const double dt = std::chrono::duration<double>(now - b.at).count();
        b.tokens = std::min(burst, b.tokens + dt * rate);
    }
    b.at = now;
    if (b.tokens < 1) {
        return false;
    }
    b.tokens -= 1;
    return true;
}

namespace {

std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

/// Two connected TCP sockets on 127.0.0.1 (the plain side of a TLS session's
/// WebSocket, handed to the instance's control server); false on failure.
bool loopback_pair(int* ours, int* theirs) {
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) {
        return false;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int c = -1, d = -1;
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(l, 1) == 0 &&
        ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c >= 0 && ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            sockaddr_in peer{}, mine{};
            socklen_t pl = sizeof peer, ml = sizeof mine;
            d = ::accept4(l, reinterpret_cast<sockaddr*>(&peer), &pl, SOCK_CLOEXEC);
            // the connection accepted must be ours (nobody else's on that port)
            if (d >= 0 && (::getsockname(c, reinterpret_cast<sockaddr*>(&mine), &ml) != 0 ||
                           mine.sin_port != peer.sin_port)) {
                ::close(d);
                d = -1;
            }
        }
    }
    ::close(l);
    if (d < 0) {
        if (c >= 0) {
            ::close(c);
        }
        return false;
    }
    *ours = c;
    *theirs = d;
    return true;
}

/// A connection, plain (Stream: beast::tcp_stream) or TLS (beast::ssl_stream
/// over one: the handshake first, then the same requests).
template <class Stream> class Session : public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;
    using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
    beast::tcp_stream& tcp() {
        return beast::get_lowest_layer(stream_);
    }

public:
    template <class... Tls>
    Session(Server::Impl& s, tcp::socket socket, Tls&... tls)
        : s_(s), stream_(std::move(socket), tls...), buffer_(s.opt.max_header_bytes + 1024) {
        ++s_.connections;
        beast::error_code ec;
        tcp::endpoint peer = tcp().socket().remote_endpoint(ec);
        peer_ = ec ? std::string("?") : peer.address().to_string();
    }
    ~Session() {
        --s_.connections;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    void run() {
        if constexpr (is_tls) {
            // a plain HTTP client gets a plain answer saying so, then the close
            tcp().expires_after(s_.opt.request_timeout);
            beast::async_detect_ssl(
                tcp(), buffer_, [self = shared_from_this()](beast::error_code ec, bool tls_hello) {
                    if (ec) {
                        return;
                    }
                    if (!tls_hello) {
                        return self->refuse_plain();
                    }
                    self->stream_.async_handshake(net::ssl::stream_base::server,
                                                  self->buffer_.data(),
                                                  [self](beast::error_code e, std::size_t used) {
                                                      if (!e) {
                                                          self->buffer_.consume(used);
                                                          self->read_next();
                                                      }
                                                  });
                });
        } else {
            net::dispatch(stream_.get_executor(),
                          beast::bind_front_handler(&Session::read_next, shared_from_this()));
        }
    }

private:
    /// A TLS server's answer to a request in plain HTTP (written unencrypted).
    void refuse_plain() {
        const std::string body = error_json("this server speaks https (TLS): use https://");
        auto text = std::make_shared<std::string>(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: "
            "close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
        net::async_write(tcp(), net::buffer(*text),
                         [self = shared_from_this(), text](beast::error_code, std::size_t) {
                             beast::error_code ec;
                             self->tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
                         });
    }

    void read_next() {
        parser_.emplace();
        parser_->header_limit(std::uint32_t(s_.opt.max_header_bytes));
        parser_->body_limit(std::max(s_.opt.limits.max_bundle, s_.opt.limits.max_json_body));
        tcp().expires_after(s_.opt.request_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream) {
            return shut();
        }
        if (ec) {
            int status = 0;
            std::string message;
            if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
                status = 431;
                message = "request header too large";
            } else if (ec == bhttp::error::body_limit) {
                status = 413;
                message = "request body too large";
            } else if (ec == beast::error::timeout) {
                status = 408;
                message = "request not received in time";
            } else if (ec != net::error::operation_aborted && ec != net::error::connection_reset &&
                       ec != net::error::eof && ec != bhttp::error::partial_message) {
                status = 400;
                message = "malformed request: " + ec.message();
            }
            if (status != 0) {
                return respond(Reply{status, "application/json", error_json(message)}, 11, false);
            }
            return shut(); // the peer went away, or sent half a request and closed
        }
        s_.requests.fetch_add(1);
        bhttp::request<bhttp::string_body>& req = parser_->get();
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        ApiAccess access;
        access.token_required = s_.token_required;
        access.token = s_.token;
        access.given_header = sv(req[bhttp::field::authorization]);
        std::variant<Call, ApiError> parsed = parse_call(sv(req.method_string()), sv(req.target()),
                                                         req.body(), access, s_.opt.limits);
        // an authenticated block request takes from its instance's bucket,
        // every other request (a refused one too) from its peer's
        const Call* block = std::get_if<Call>(&parsed);
        const bool allowed =
            block != nullptr && block->op == Op::ProcessBlock
                ? s_.take_token("process " + peer_ + " " + block->id,
                                s_.opt.block_requests_per_second, s_.opt.block_request_burst)
                : s_.take_token(peer_);
        if (!allowed) {
            s_.limited.fetch_add(1);
            return respond(Reply{429, "application/json", error_json("too many requests")}, version,
                           keep_alive);
        }
        if (auto* e = std::get_if<ApiError>(&parsed)) {
            return respond(Reply{e->status, "application/json", error_json(e->message)}, version,
                           keep_alive);
        }
        Call& call = std::get<Call>(parsed);
        call.peer = peer_;
        if (call.op == Op::CreateFactory || call.op == Op::CreateMachineCode ||
            call.op == Op::Render) {
            // on a worker; the answer comes back to this session's strand
            std::string body = std::move(req.body());
            call.bundle = {};
            auto self = shared_from_this();
            s_.pending.fetch_add(1);
            auto done = [self, version, keep_alive](Reply r) mutable {
                Server::Impl& s = self->s_;
                if (!s.stopped.load()) {
                    net::post(self->stream_.get_executor(),
                              [self, version, keep_alive, r = std::move(r)] {
                                  self->respond(r, version, keep_alive);
                              });
                }
                self.reset();
                s.pending.fetch_sub(1);
            };
            if (call.op == Op::Render) {
                s_.service.render(std::move(body), call, std::move(done));
            } else if (call.op == Op::CreateMachineCode) {
                s_.service.compile_machine_code(std::move(body), call, std::move(done));
            } else {
                s_.service.compile(std::move(body), call.options, std::move(done));
            }
            tcp().expires_after(s_.opt.request_timeout * 10);
            return;
        }
        if (call.op == Op::InstanceSocket) {
            return to_instance(call, req, version);
        }
        if (call.op == Op::StartInstance && call.link.on) {
            return start_link(std::move(call), version, keep_alive);
        }
        Reply r;
        try {
            r = s_.service.handle(call);
        } catch (const std::exception& e) {
            r = Reply{500, "application/json",
                      error_json(std::string("internal error: ") + e.what())};
        }
        respond(r, version, keep_alive);
    }

    /// A start with an audio link, on a thread of its own (the answer comes
    /// back to this session's strand).
    void start_link(Call call, unsigned version, bool keep_alive) {
        Server::Impl& s = s_;
        if (s.linking_now.fetch_add(1) >= Server::Impl::kMaxLinking) {
            s.linking_now.fetch_sub(1);
            return respond(Reply{503, "application/json",
                                 error_json("too many links being made at once; try again")},
                           version, keep_alive);
        }
        auto self = shared_from_this();
        s.pending.fetch_add(1);
        auto done = std::make_shared<std::atomic<bool>>(false);
        std::thread t([self, call = std::move(call), version, keep_alive, done]() mutable {
            Server::Impl& impl = self->s_;
            Reply r;
            try {
                r = impl.service.handle(call);
            } catch (const std::exception& e) {
                r = Reply{500, "application/json",
                          error_json(std::string("internal error: ") + e.what())};
            }
            if (!impl.stopped.load()) {
                net::post(self->stream_.get_executor(),
                          [self, version, keep_alive, r = std::move(r)] {
                              self->respond(r, version, keep_alive);
                          });
            }
            impl.linking_now.fetch_sub(1);
            self.reset();
            impl.pending.fetch_sub(1);
            done->store(true);
        });
        std::lock_guard lock(s.linking_mutex);
        for (auto it = s.linking.begin(); it != s.linking.end();) {
            if (it->done->load()) {
                it->thread.join();
                it = s.linking.erase(it);
            } else {
                ++it;
            }
        }
        s.linking.push_back({std::move(t), done});
        tcp().expires_after(s.opt.request_timeout * 2);
    }

    /// Hands the connection to the instance's control server (src/http), which
    /// answers the upgrade and runs the WebSocket of docs/control-protocol.md.
    void to_instance(const Call& call, bhttp::request<bhttp::string_body>& req, unsigned version) {
        if (!websocket::is_upgrade(req)) {
            return respond(
                Reply{400, "application/json", error_json("this is a WebSocket: send an Upgrade")},
                version, false);
        }
        // the request passed this server's token check: the control server, which
        // shares the token, is told so (a client may have sent it as a header)
        std::string query = call.ws_query;
        if (!s_.token.empty() && query.find("token=") == std::string::npos) {
            query += (query.empty() ? "" : "&") + std::string("token=") + s_.token;
        }
        req.target(query.empty() ? "/ws" : "/ws?" + query);
        std::ostringstream out;
        out << req;
        if constexpr (is_tls) {
            // the control server speaks plain HTTP: it gets one end of a loopback
            // connection, and this session relays between the other end and
            // the TLS stream (decrypting what comes in, encrypting what goes out)
            int ours = -1, theirs = -1;
            if (!loopback_pair(&ours, &theirs)) {
                return respond(
                    Reply{500, "application/json", error_json("cannot relay the WebSocket")},
                    version, false);
            }
            if (!s_.service.adopt_socket(call.id, theirs, out.str())) {
                ::close(ours);
                ::close(theirs);
                return respond(Reply{404, "application/json", error_json("no instance " + call.id)},
                               version, false);
            }
            beast::error_code ec;
            plain_.emplace(stream_.get_executor());
            plain_->assign(tcp::v4(), ours, ec);
            if (ec) {
                ::close(ours);
                return shut();
            }
            tcp().expires_never();
            // what the client sent after its request (nothing, usually) goes first
            relay_up_bytes(buffer_.size());
            relay_down();
            return;
        }
        tcp().expires_never();
        beast::error_code ec;
        tcp::socket socket = tcp().release_socket();
        const int fd = socket.release(ec);
        if (ec) {
            return;
        }
        if (!s_.service.adopt_socket(call.id, fd, out.str())) {
            const std::string answer =
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: "
                "close\r\nContent-Length: " +
                std::to_string(error_json("no instance " + call.id).size()) + "\r\n\r\n" +
                error_json("no instance " + call.id);
            [[maybe_unused]] ssize_t n = ::write(fd, answer.data(), answer.size());
            ::close(fd);
        }
    }

    // The relay of a TLS session's WebSocket (to_instance): client -> control
    // server through buffer_, control server -> client through down_; one read
    // and one write at a time each way (the ssl stream allows both at once).
    void relay_up_bytes(std::size_t n) {
        if (n == 0) {
            return relay_up();
        }
        net::async_write(*plain_, buffer_.data(),
                         [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                             self->buffer_.consume(used);
                             if (ec) {
                                 return self->relay_end();
                             }
                             self->relay_up();
                         });
    }
    void relay_up() {
        stream_.async_read_some(
            net::buffer(up_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                if (ec && n == 0) {
                    return self->relay_end();
                }
                net::async_write(*self->plain_, net::buffer(self->up_.data(), n),
                                 [self](beast::error_code e, std::size_t) {
                                     if (e) {
                                         return self->relay_end();
                                     }
                                     self->relay_up();
                                 });
            });
    }
    void relay_down() {
        plain_->async_read_some(
            net::buffer(down_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                if (ec && n == 0) {
                    return self->relay_end();
                }
                net::async_write(self->stream_, net::buffer(self->down_.data(), n),
                                 [self](beast::error_code e, std::size_t) {
                                     if (e) {
                                         return self->relay_end();
                                     }
                                     self->relay_down();
                                 });
            });
    }
    void relay_end() {
        if (relay_ended_) {
            return;
        }
        relay_ended_ = true;
        beast::error_code ec;
        plain_->shutdown(tcp::socket::shutdown_both, ec);
        plain_->close(ec);
        tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
        tcp().close();
    }

    void respond(const Reply& r, unsigned version, bool keep_alive) {
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
            static_cast<bhttp::status>(r.status), version);
        res->set(bhttp::field::server, "tutti-serve");
        res->set(bhttp::field::content_type, r.content_type);
        res->set(bhttp::field::cache_control, "no-store");
        res->set("X-Content-Type-Options", "nosniff");
        res->keep_alive(keep_alive);
        res->body() = r.body;
        res->prepare_payload();
        response_ = res;
        tcp().expires_after(s_.opt.request_timeout);
        bhttp::async_write(
            stream_, *res,
            beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
    }

    void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
        response_.reset();
        if (ec || !keep_alive) {
            return shut();
        }
        read_next();
    }

    void shut() {
        beast::error_code ec;
        if constexpr (is_tls) {
            tcp().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
        } else {
            tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    Server::Impl& s_;
    Stream stream_;
    std::string peer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<void> response_;
    // a TLS session's WebSocket relay (to_instance)
    std::optional<tcp::socket> plain_;
    std::array<char, 16384> up_{}, down_{};
    bool relay_ended_ = false;
};

} // namespace

void Server::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) {
            return;
        }
        if (!ec) {
            if (connections.load() >= opt.max_connections) {
                refused.fetch_add(1);
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                beast::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                if (tls) {
                    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        *this, std::move(socket), *tls)
                        ->run();
                } else {
                    std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket))->run();
                }
            }
        }
        accept();
    });
}

Server::Server(Service& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
    Impl& s = *impl_;
    s.token_required = s.opt.require_token || !is_loopback_host(s.opt.listen);
    if (s.token_required) {
        s.token = s.opt.token.empty() ? control::make_token() : s.opt.token;
    }
}

Server::~Server() {
    stop();
    while (impl_->pending.load() != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool Server::start(std::string* error) {
    Impl& s = *impl_;
    beast::error_code ec;
    const std::string host = s.opt.listen == "localhost" ? "127.0.0.1" : s.opt.listen;
    net::ip::address address = net::ip::make_address(host, ec);
    if (ec) {
        *error = "cannot listen on '" + s.opt.listen + "': " + ec.message();
        return false;
    }
    if (!s.opt.tls_cert.empty() || !s.opt.tls_key.empty()) {
        if (s.opt.tls_cert.empty() || s.opt.tls_key.empty()) {
            *error = "TLS needs a certificate and its key (--tls-cert and --tls-key)";
            return false;
        }
        s.tls.emplace(net::ssl::context::tls_server);
        s.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                           net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
        s.tls->use_certificate_chain_file(s.opt.tls_cert, ec);
        if (ec) {
            *error = "cannot load the certificate '" + s.opt.tls_cert + "': " + ec.message();
            return false;
        }
        s.tls->use_private_key_file(s.opt.tls_key, net::ssl::context::pem, ec);
        if (ec) {
            *error = "cannot load the key '" + s.opt.tls_key + "': " + ec.message();
            return false;
        }
    }
    tcp::endpoint ep(address, static_cast<unsigned short>(s.opt.port));
    s.acceptor.open(ep.protocol(), ec);
    if (!ec) {
        s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        s.acceptor.bind(ep, ec);
    }
    if (!ec) {
        s.acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        *error = "cannot listen on " + s.opt.listen + ":" + std::to_string(s.opt.port) + ": " +
                 ec.message();
        return false;
    }
    s.bound_port = s.acceptor.local_endpoint().port();
    s.accept();
    for (int i = 0; i < std::max(1, s.opt.threads); ++i) {
        s.threads.emplace_back([&s] { s.ioc.run(); });
    }
    s.started = true;
    return true;
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.started) {
        return;
    }
    s.started = false;
    s.stopped.store(true);
    net::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s.ioc.stop();
    for (std::thread& t : s.threads) {
        t.join();
    }
    s.threads.clear();
    std::lock_guard lock(s.linking_mutex);
    for (Impl::Linking& l : s.linking) {
        l.thread.join(); // a link being made ends within its timeout
    }
    s.linking.clear();
}

int Server::port() const {
    return impl_->bound_port;
}

const std::string& Server::token() const {
    return impl_->token;
}

Server::Stats Server::stats() const {
    Stats st;
    st.requests = impl_->requests.load();
    st.refused_connections = impl_->refused.load();
    st.rate_limited = impl_->limited.load();
    return st;
}

} // namespace tutti::serve
