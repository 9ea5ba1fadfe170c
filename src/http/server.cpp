// SPDX-License-Identifier: MIT
/** \file
 * The control server (server.h) on Boost.Beast: one io_context run by one
 * network thread; an HttpSession per connection reads requests with bounded
 * parsers and a timeout, answers them through handle_request(), and hands an
 * upgrade at /ws to a WsSession, which has its own bounded write queue. A
 * timer at refresh_hz pushes changed values, levels and scope frames.
 */
#include "http/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cmath>
#include <deque>
#include <thread>
#include <utility> // before Boost.Asio 1.74, which uses std::exchange without it
#include <vector>

#include "control/control_hub.h"
#include "http/hub_port.h"
#include "http/json_scan.h"
#include "http/request_handler.h"
#include "http/ws_protocol.h"
#include "tutti/diagnostics.h"
#include "tutti/engine.h"

namespace tutti::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace {

using Message = std::shared_ptr<const std::string>;

class WsSession;

} // namespace

struct Server::Impl {
    control::ControlHub& hub;
    int program_id;
    Engine& engine;
    ServerOptions opt;
    // declared before the io_context: sessions destroyed with it still count down
    std::size_t connections = 0;
    std::atomic<std::size_t> http_requests{0}, ws_messages_in{0}, ws_clients{0}, slow_dropped{0},
        refused{0};
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    net::steady_timer timer{ioc};
    std::thread thread;
    int bound_port = 0;
    int listener_id = -1, subscription = -1;
    bool started = false;
    HubPort port;
    std::vector<std::weak_ptr<WsSession>> ws_sessions;
    // what the clients were last told
    std::shared_ptr<const AddressTable> told_table;
    std::vector<double> told;
    Message last_swap;
    std::string page_url; // for GET /qr.svg (network thread)
    // the output tap
    std::uint64_t tap_cursor = 0;
    std::vector<float> tap_buf;
    std::size_t decimation = 1, dec_count = 0;
    std::vector<float> dec_acc, scope;
    std::chrono::steady_clock::time_point last_scope{};

    Impl(control::ControlHub& h, int id, Engine& e, ServerOptions o)
        : hub(h), program_id(id), engine(e), opt(std::move(o)), port(h, id) {
    }

    void accept();
    void tick();
    void refresh(bool force_ui);
    void feedback(const control::Feedback& f);
    void broadcast(const Message& m, const WsSession* except, bool droppable);
    void apply_changes(const AddressTable& table,
                       const std::vector<std::pair<std::size_t, double>>& changed,
                       const WsSession* except);
    void levels_and_scope();
    std::size_t live_ws();
};

namespace {

Message make_message(std::string s) {
    return std::make_shared<const std::string>(std::move(s));
}

/// One slot of Server::Impl::connections, given back when the session ends.
class Slot {
public:
    explicit Slot(Server::Impl* s) : s_(s) {
        ++s_->connections;
    }
    ~Slot() {
        --s_->connections;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

private:
    Server::Impl* s_;
};

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    WsSession(Server::Impl& s, tcp::socket socket, std::unique_ptr<Slot> slot, bool can_write)
        : s_(s), ws_(std::move(socket)), slot_(std::move(slot)), can_write_(can_write) {
    }
    void run(const bhttp::request<bhttp::string_body>& req) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(bhttp::field::server, "tutti"); }));
        ws_.read_message_max(s_.opt.max_ws_message);
        ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
    }
    /// Queues a message; a droppable one (levels, scope) is skipped while the
    /// client is behind; a client whose queue is full is closed.
    void send(const Message& m, bool droppable) {
        if (closing_) {
            return;
        }
        if (droppable && queue_.size() > 4) {
            return;
        }
        if (queued_bytes_ + m->size() > s_.opt.max_queue_bytes) {
            s_.slow_dropped.fetch_add(1);
            close();
            return;
        }
        queue_.push_back(m);
        queued_bytes_ += m->size();
        if (!writing_) {
            write_next();
        }
    }
    void close() {
        if (closing_) {
            return;
        }
        closing_ = true;
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(ws_).socket().close(ec);
    }
    bool open() const {
        return accepted_ && !closing_;
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) {
            return;
        }
        accepted_ = true;
        s_.ws_sessions.push_back(weak_from_this());
        s_.ws_clients.store(s_.live_ws());
        // the UI and every value, then the last swap
        if (!s_.told_table) {
            s_.refresh(true); // the first client: the table every client is told about
        } else {
            std::shared_ptr<const AddressTable> table = s_.told_table;
            send(make_message(ui_message(*table)), false);
            send(make_message(values_message(*table, s_.told)), false);
        }
        if (s_.last_swap) {
            send(s_.last_swap, false);
        }
        read_next();
    }
    void read_next() {
        ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            closing_ = true;
            s_.ws_clients.store(s_.live_ws());
            return;
        }
        s_.ws_messages_in.fetch_add(1);
        if (!ws_.got_text()) {
            send(make_message(error_message("binary messages are not understood")), false);
        } else {
            const auto data = buffer_.cdata();
            std::string_view text(static_cast<const char*>(data.data()), data.size());
            WsResult r = handle_ws_message(text, s_.port, can_write_);
            if (!r.reply.empty()) {
                send(make_message(std::move(r.reply)), false);
            }
            if (r.changed && r.table) {
                s_.apply_changes(*r.table, {*r.changed}, this);
            }
        }
        buffer_.consume(buffer_.size());
        if (!closing_) {
            read_next();
        }
    }
    void write_next() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(net::buffer(*queue_.front()),
                        beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
    }
    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        if (ec) {
            closing_ = true;
            return;
        }
        queued_bytes_ -= queue_.front()->size();
        queue_.pop_front();
        if (!queue_.empty() && !closing_) {
            write_next();
        }
    }

    Server::Impl& s_;
    websocket::stream<beast::tcp_stream> ws_;
    std::unique_ptr<Slot> slot_;
    bool can_write_;
    beast::flat_buffer buffer_;
    std::deque<Message> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false, closing_ = false, accepted_ = false;
};

std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

bool is_loopback(const tcp::endpoint& ep) {
    const auto a = ep.address();
    if (a.is_loopback()) {
        return true;
    }
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return a.to_v6().to_v4().is_loopback();
    }
    return false;
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(Server::Impl& s, tcp::socket socket, std::string_view received = {})
        : s_(s), stream_(std::move(socket)), slot_(std::make_unique<Slot>(&s)),
          buffer_(s.opt.max_header_bytes + s.opt.max_body_bytes + 1024) {
        if (!received.empty() && received.size() <= buffer_.max_size()) {
            buffer_.commit(net::buffer_copy(buffer_.prepare(received.size()),
                                            net::buffer(received.data(), received.size())));
        }
        beast::error_code ec;
        tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
        loopback_ = !ec && is_loopback(peer);
    }
    void run() {
        read_next();
    }

private:
    void read_next() {
        parser_.emplace();
        parser_->header_limit(std::uint32_t(s_.opt.max_header_bytes));
        parser_->body_limit(s_.opt.max_body_bytes);
        stream_.expires_after(s_.opt.request_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream) {
            return shut();
        }
        if (ec) {
            int status = 0;
            if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
                status = 431;
            } else if (ec == bhttp::error::body_limit) {
                status = 413;
            } else if (ec != beast::error::timeout && ec != net::error::operation_aborted &&
                       ec != net::error::connection_reset && ec != net::error::eof) {
                status = 400;
            }
            if (status != 0) {
                Answer a;
                a.status = status;
                a.body = status == 431   ? "request header too large\n"
                         : status == 413 ? "request body too large\n"
                                         : "bad request\n";
                return respond(std::move(a), 11, false, false);
            }
            return shut();
        }
        s_.http_requests.fetch_add(1);
        bhttp::request<bhttp::string_body>& req = parser_->get();
        Request r;
        r.method = sv(req.method_string());
        r.target = sv(req.target());
        r.host = sv(req[bhttp::field::host]);
        r.origin = sv(req[bhttp::field::origin]);
        r.websocket_upgrade = websocket::is_upgrade(req);
        Access access;
        access.loopback_peer = loopback_;
        access.token = s_.opt.token;
        access.page_url = s_.page_url;
        if (s_.opt.command && r.target.substr(0, 7) == "/tutti/") {
            return respond(command(r, req.body()), req.version(), req.keep_alive(), false);
        }
        Answer a = handle_request(r, s_.port, access);
        if (a.websocket) {
            stream_.expires_never();
            auto ws = std::make_shared<WsSession>(s_, stream_.release_socket(), std::move(slot_),
                                                  a.can_write);
            ws->run(parser_->release());
            return;
        }
        if (!a.changed.empty() && a.table) {
            s_.apply_changes(*a.table, a.changed, nullptr);
        }
        respond(std::move(a), req.version(), req.keep_alive(), req.method() == bhttp::verb::head);
    }
    /// POST /tutti/<name>: the host's command (ServerOptions::command).
    Answer command(const Request& r, const std::string& body) {
        Answer a;
        const std::string_view target = r.target;
        const std::size_t q = target.find('?');
        const std::string_view name = target.substr(7, q == std::string_view::npos ? q : q - 7);
        bool authorised = loopback_;
        if (!authorised && q != std::string_view::npos && !s_.opt.token.empty()) {
            const std::string_view query = target.substr(q + 1);
            for (std::size_t at = 0; at <= query.size();) {
                std::size_t amp = query.find('&', at);
                if (amp == std::string_view::npos) {
                    amp = query.size();
                }
                const std::string_view pair = query.substr(at, amp - at);
                if (pair.rfind("token=", 0) == 0) {
                    auto t = percent_decode(pair.substr(6), true);
                    authorised = t && token_matches(*t, s_.opt.token);
                }
                at = amp + 1;
            }
        }
        if (r.method != "POST") {
            a.status = 405;
            a.body = "POST /tutti/" + std::string(name) + "\n";
        } else if (!authorised) {
            a.status = 403;
            a.body = "commands need loopback or ?token=\n";
        } else {
            std::vector<std::string> args;
            std::string arg = body;
            while (!arg.empty() &&
                   (arg.back() == '\n' || arg.back() == '\r' || arg.back() == ' ')) {
                arg.pop_back();
            }
            if (!arg.empty()) {
                args.push_back(arg);
            }
            if (auto text = s_.opt.command(name, args)) {
                a.body = *text + "\n";
            } else {
                a.status = 404;
                a.body = "no such command\n";
            }
        }
        return a;
    }

    void respond(Answer a, unsigned version, bool keep_alive, bool head) {
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
            static_cast<bhttp::status>(a.status), version);
        res->set(bhttp::field::server, "tutti");
        res->set(bhttp::field::content_type, a.content_type);
        res->set(bhttp::field::cache_control, a.cacheable ? "no-cache" : "no-store");
        res->set("X-Content-Type-Options", "nosniff");
        if (a.status == 405) {
            res->set(bhttp::field::allow, "GET, HEAD");
        }
        res->keep_alive(keep_alive);
        const std::size_t length = a.body.size();
        if (!head) {
            res->body() = std::move(a.body);
        }
        res->prepare_payload();
        if (head) {
            res->content_length(length);
        }
        response_ = res;
        bhttp::async_write(
            stream_, *res,
            beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), keep_alive));
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
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    Server::Impl& s_;
    beast::tcp_stream stream_;
    std::unique_ptr<Slot> slot_;
    bool loopback_ = false;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<void> response_;
};

} // namespace

std::size_t Server::Impl::live_ws() {
    std::size_t n = 0;
    for (auto& w : ws_sessions) {
        if (auto s = w.lock(); s && s->open()) {
            ++n;
        }
    }
    return n;
}

void Server::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) {
            return;
        }
        if (!ec) {
            if (connections >= opt.max_connections) {
                refused.fetch_add(1);
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                beast::error_code ignored;
                socket.set_option(net::socket_base::send_buffer_size(opt.socket_send_buffer),
                                  ignored);
                socket.set_option(tcp::no_delay(true), ignored);
                std::make_shared<HttpSession>(*this, std::move(socket))->run();
            }
        }
        accept();
    });
}

void Server::Impl::broadcast(const Message& m, const WsSession* except, bool droppable) {
    std::size_t live = 0;
    for (auto& w : ws_sessions) {
        if (auto s = w.lock()) {
            if (s.get() != except && s->open()) {
                s->send(m, droppable);
            }
            ++live;
        }
    }
    if (live < ws_sessions.size()) {
        std::erase_if(ws_sessions, [](const std::weak_ptr<WsSession>& w) { return w.expired(); });
    }
}

void Server::Impl::apply_changes(const AddressTable& table,
                                 const std::vector<std::pair<std::size_t, double>>& changed,
                                 const WsSession* except) {
    // pushed to the other clients now, not at the next refresh; what the
    // refresh will read back is then no news
    const bool same = told_table && told_table->generation() == table.generation();
    for (const auto& [index, value] : changed) {
        broadcast(make_message(param_message(table.controls()[index].path, value)), except, false);
        if (same && index < told.size()) {
            told[index] = value;
        }
    }
}

void Server::Impl::refresh(bool force_ui) {
    std::shared_ptr<const AddressTable> table = port.table();
    const bool new_ui = force_ui || !told_table || told_table->json() != table->json();
    if (new_ui || told_table->generation() != table->generation()) {
        // a new version: the UI when it changed, then every value
        if (new_ui) {
            broadcast(make_message(ui_message(*table)), nullptr, false);
        }
        told.assign(table->controls().size(), 0);
        for (std::size_t i = 0; i < told.size(); ++i) {
            told[i] = port.value(*table, i);
        }
        told_table = table;
        broadcast(make_message(values_message(*table, told)), nullptr, false);
    }
}

void Server::Impl::feedback(const control::Feedback& f) {
    // the hub's changes since its last call (every value on the first call and
    // after a swap); what the clients were told already is no news
    refresh(false);
    if (!told_table || !f.snapshot) {
        return;
    }
    for (const control::ValueChange& c : f.changes) {
        if (c.program >= f.snapshot->programs.size()) {
            continue;
        }
        const control::Program& p = f.snapshot->programs[c.program];
        if (p.id != program_id || p.ui.generation != told_table->generation() ||
            c.parameter >= told.size()) {
            continue;
        }
        const double v = c.value;
        if (v != told[c.parameter] && !(std::isnan(v) && std::isnan(told[c.parameter]))) {
            told[c.parameter] = v;
            broadcast(make_message(param_message(told_table->controls()[c.parameter].path, v)),
                      nullptr, false);
        }
    }
}

void Server::Impl::levels_and_scope() {
    const std::size_t channels = std::size_t(std::max(engine.options().outputs, 1));
    if (tap_buf.empty()) {
        tap_buf.resize(8192 * channels);
        dec_acc.assign(channels, 0);
        const double rate = engine.options().sample_rate;
        decimation = std::max<std::size_t>(
            1, std::size_t(std::lround(rate / (double(opt.scope_frames) * opt.scope_hz))));
    }
    const std::size_t n = engine.read_output(&tap_cursor, tap_buf.data(), 8192);
    if (n == 0) {
        return;
    }
    std::vector<float> peak(channels, 0), rms(channels, 0);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < channels; ++c) {
            const float v = tap_buf[i * channels + c];
            peak[c] = std::max(peak[c], std::fabs(v));
            rms[c] += v * v;
            dec_acc[c] += v;
        }
        if (++dec_count == decimation) {
            for (std::size_t c = 0; c < channels; ++c) {
                scope.push_back(dec_acc[c] / float(decimation));
                dec_acc[c] = 0;
            }
            dec_count = 0;
        }
    }
    for (float& r : rms) {
        r = std::sqrt(r / float(n));
    }
    broadcast(make_message(levels_message(peak, rms)), nullptr, true);
    const auto now = std::chrono::steady_clock::now();
    const std::size_t limit = 2 * opt.scope_frames * channels;
    if (scope.size() > limit) {
        scope.erase(scope.begin(), scope.begin() + std::ptrdiff_t(scope.size() - limit));
    }
    // every 1/scope_hz, give or take half a refresh (the timer's granularity)
    if (now - last_scope >=
        std::chrono::duration<double>(1.0 / opt.scope_hz - 0.5 / std::max(opt.refresh_hz, 1.0))) {
        last_scope = now;
        const double rate = engine.options().sample_rate / double(decimation);
        broadcast(
            make_message(scope_message(rate, channels, scope.data(), scope.size() / channels)),
            nullptr, true);
        scope.clear();
    }
}

void Server::Impl::tick() {
    // at a steady rate, whatever the time the work took
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / std::max(opt.refresh_hz, 1.0)));
    const auto now = std::chrono::steady_clock::now();
    auto next = timer.expiry() + period;
    if (next < now) {
        next = now + period; // late (a busy machine): no burst to catch up
    }
    timer.expires_at(next);
    timer.async_wait([this](beast::error_code ec) {
        if (ec) {
            return;
        }
        if (live_ws() > 0) {
            refresh(false);
            levels_and_scope();
        } else {
            told_table.reset(); // the next client gets everything anew
            tap_cursor = engine.frames_processed();
        }
        tick();
    });
}

Server::Server(control::ControlHub& hub, int program_id, Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(hub, program_id, engine, std::move(options))) {
}

Server::~Server() {
    stop();
}

const ServerOptions& Server::options() const {
    return impl_->opt;
}

int Server::port() const {
    return impl_->bound_port;
}

bool Server::start(std::string* error) {
    Impl& s = *impl_;
    beast::error_code ec;
    net::ip::address address = net::ip::make_address(s.opt.listen, ec);
    if (ec) {
        *error = "cannot listen on '" + s.opt.listen + "': " + ec.message();
        return false;
    }
    const int tries = !s.opt.bind ? 0 : s.opt.port == 0 ? 1 : std::max(s.opt.port_tries, 1);
    for (int k = 0; k < tries; ++k) {
        const int port = s.opt.port == 0 ? 0 : s.opt.port + k;
        if (port > 65535) {
            break;
        }
        tcp::endpoint ep(address, static_cast<unsigned short>(port));
        beast::error_code e;
        s.acceptor.close(e);
        s.acceptor.open(ep.protocol(), e);
        if (!e) {
            s.acceptor.set_option(net::socket_base::reuse_address(true), e);
        }
        if (!e) {
            s.acceptor.bind(ep, e);
        }
        if (!e) {
            s.acceptor.listen(net::socket_base::max_listen_connections, e);
        }
        if (!e) {
            s.bound_port = s.acceptor.local_endpoint().port();
            break;
        }
        ec = e;
    }
    if (s.bound_port == 0 && s.opt.bind) {
        *error = "no free TCP port from " + std::to_string(s.opt.port) + " on " + s.opt.listen +
                 ": " + ec.message();
        return false;
    }
    s.listener_id = s.hub.add_ui_listener([&s](const control::Snapshot&, std::size_t) {
        net::post(s.ioc, [&s] {
            if (s.live_ws() > 0) {
                s.refresh(false); // the UI goes out unless the clients have it already
            }
        });
    });
    s.subscription = s.hub.subscribe(s.opt.refresh_hz, [&s](const control::Feedback& f) {
        net::post(s.ioc, [&s, f] {
            if (s.live_ws() > 0) {
                s.feedback(f);
            }
        });
    });
    if (s.opt.bind) {
        s.accept();
    }
    s.tick();
    s.thread = std::thread([&s] { s.ioc.run(); });
    s.started = true;
    return true;
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.started) {
        return;
    }
    s.started = false;
    if (s.listener_id >= 0) {
        s.hub.remove_ui_listener(s.listener_id);
        s.listener_id = -1;
    }
    if (s.subscription >= 0) {
        s.hub.unsubscribe(s.subscription);
        s.subscription = -1;
    }
    net::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
        s.timer.cancel();
        for (auto& w : s.ws_sessions) {
            if (auto ws = w.lock()) {
                ws->close();
            }
        }
    });
    // let the sessions see their sockets closed, then stop
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.ioc.stop();
    if (s.thread.joinable()) {
        s.thread.join();
    }
}

void Server::adopt(int native_socket, std::string request) {
    Impl& s = *impl_;
    net::post(s.ioc, [&s, native_socket, req = std::move(request)] {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        beast::error_code ec;
        tcp::socket socket(net::make_strand(s.ioc));
        if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ::close(native_socket);
            return;
        }
        socket.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), native_socket, ec);
        if (ec) {
            ::close(native_socket);
            return;
        }
        if (s.connections >= s.opt.max_connections) {
            s.refused.fetch_add(1);
            socket.close(ec);
            return;
        }
        std::make_shared<HttpSession>(s, std::move(socket), req)->run();
    });
}

void Server::set_page_url(std::string url) {
    Impl& s = *impl_;
    net::post(s.ioc, [&s, u = std::move(url)]() mutable { s.page_url = std::move(u); });
}

void Server::publish_swap(const SwapReport& report) {
    auto m = make_message(swap_message(report));
    Impl& s = *impl_;
    net::post(s.ioc, [&s, m] {
        s.last_swap = m;
        s.broadcast(m, nullptr, false);
    });
}

Server::Stats Server::stats() const {
    Stats st;
    st.http_requests = impl_->http_requests.load();
    st.ws_messages_in = impl_->ws_messages_in.load();
    st.ws_clients = impl_->ws_clients.load();
    st.slow_clients_dropped = impl_->slow_dropped.load();
    st.refused_connections = impl_->refused.load();
    return st;
}

std::string swap_message(const SwapReport& r) {
    std::string diagnostics;
    for (const Diagnostic& d : r.diagnostics) {
        diagnostics += to_text(d);
    }
    auto num = [](double v) { return json_number(v); };
    std::string out = "{\"type\":\"swap\",\"report\":{";
    out += "\"generation\":" + std::to_string(r.generation);
    out += ",\"program\":" + json_quote(r.program);
    out += std::string(",\"compiled\":") + (r.compiled ? "true" : "false");
    out += std::string(",\"committed\":") + (r.committed ? "true" : "false");
    out += ",\"compile_ms\":" + num(r.compile_ms);
    out += ",\"prepare_ms\":" + num(r.prepare_ms);
    out += ",\"commit_us\":" + num(r.commit_us);
    out += ",\"commit_frame\":" + std::to_string(r.commit_frame);
    out += std::string(",\"crossfade\":") + (r.crossfade ? "true" : "false");
    out += ",\"carried\":" + std::to_string(r.carried);
    out += ",\"resized\":" + std::to_string(r.resized);
    out += ",\"rebuilt\":" + std::to_string(r.rebuilt);
    out += ",\"reset\":" + std::to_string(r.reset);
    out += ",\"dropped\":" + std::to_string(r.dropped);
    out += ",\"diagnostics\":" + json_quote(diagnostics);
    out += "}}";
    return out;
}

} // namespace tutti::http
