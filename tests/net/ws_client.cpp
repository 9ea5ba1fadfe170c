// SPDX-License-Identifier: MIT
/** \file
 * The test client of ws_client.h.
 */
#include "net/ws_client.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <future>
#include <utility> // before Boost.Asio 1.74

namespace tutti::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

struct WsClient::Impl {
    net::io_context ioc;
    websocket::stream<tcp::socket> ws{ioc};
    beast::flat_buffer buffer;
    std::thread reader; ///< runs ioc: every operation on `ws` after the handshake happens there
    mutable std::mutex mutex;
    std::condition_variable arrived;
    std::vector<Received> messages;
    std::size_t taken = 0;
    bool open = false;

    void read_next() {
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
            if (ec) {
                std::lock_guard<std::mutex> l(mutex);
                open = false;
                arrived.notify_all();
                return;
            }
            Received r{Clock::now(), beast::buffers_to_string(buffer.data())};
            buffer.consume(buffer.size());
            {
                std::lock_guard<std::mutex> l(mutex);
                messages.push_back(std::move(r));
            }
            arrived.notify_all();
            read_next();
        });
    }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {
}

WsClient::~WsClient() {
    close();
}

bool WsClient::connect(const std::string& host, int port, const std::string& target,
                       std::string* error, const std::string& origin) {
    try {
        tcp::resolver resolver(impl_->ioc);
        auto results = resolver.resolve(host, std::to_string(port));
        net::connect(impl_->ws.next_layer(), results.begin(), results.end());
        impl_->ws.next_layer().set_option(tcp::no_delay(true));
        impl_->ws.set_option(
            websocket::stream_base::decorator([origin](websocket::request_type& r) {
                if (!origin.empty()) {
                    r.set(bhttp::field::origin, origin);
                }
            }));
        impl_->ws.handshake(host + ":" + std::to_string(port), target);
    } catch (const std::exception& e) {
        *error = e.what();
        return false;
    }
    impl_->open = true;
    impl_->ws.text(true);
    // One thread owns the stream from here on: reads, writes (send() posts them)
    // and the close all run on it, so no two threads touch the stream at once.
    impl_->read_next();
    impl_->reader = std::thread([this] { impl_->ioc.run(); });
    return true;
}

bool WsClient::send(const std::string& text) {
    if (!impl_->reader.joinable() || impl_->ioc.stopped()) {
        return false; // never connected, or the server closed: nothing runs posted work
    }
    auto done = std::make_shared<std::promise<bool>>();
    std::future<bool> result = done->get_future();
    auto message = std::make_shared<std::string>(text);
    net::post(impl_->ioc, [this, done, message] {
        impl_->ws.async_write(
            net::buffer(*message),
            [done, message](beast::error_code ec, std::size_t) { done->set_value(!ec); });
    });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        return false;
    }
    return result.get();
}

bool WsClient::wait_for(const std::function<bool(const Received&)>& match,
                        std::chrono::milliseconds timeout, Received* out) {
    const auto until = Clock::now() + timeout;
    std::unique_lock<std::mutex> l(impl_->mutex);
    for (;;) {
        while (impl_->taken < impl_->messages.size()) {
            const Received& r = impl_->messages[impl_->taken++];
            if (match(r)) {
                if (out != nullptr) {
                    *out = r;
                }
                return true;
            }
        }
        if (!impl_->open) {
            return false;
        }
        if (impl_->arrived.wait_until(l, until) == std::cv_status::timeout) {
            return false;
        }
    }
}

std::vector<Received> WsClient::all() const {
    std::lock_guard<std::mutex> l(impl_->mutex);
    return impl_->messages;
}

void WsClient::close() {
    if (impl_->reader.joinable()) {
        // On the stream's own thread: the pending read ends, ioc runs out of work.
        net::post(impl_->ioc, [this] {
            beast::error_code ec;
            impl_->ws.next_layer().shutdown(tcp::socket::shutdown_both, ec);
            impl_->ws.next_layer().close(ec);
        });
        impl_->reader.join();
        beast::error_code ec;
        impl_->ws.next_layer().close(ec); // when the server had closed first
    }
}

HttpReply http_get(const std::string& host, int port, const std::string& target) {
    HttpReply out;
    try {
        net::io_context ioc;
        tcp::resolver resolver(ioc);
        tcp::socket socket(ioc);
        net::connect(socket, resolver.resolve(host, std::to_string(port)));
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
        req.set(bhttp::field::host, host + ":" + std::to_string(port));
        bhttp::write(socket, req);
        beast::flat_buffer b;
        bhttp::response<bhttp::string_body> res;
        bhttp::read(socket, b, res);
        out.status = int(res.result_int());
        out.body = res.body();
        beast::error_code ec;
        socket.shutdown(tcp::socket::shutdown_both, ec);
    } catch (const std::exception&) {
        out.status = 0;
    }
    return out;
}

std::string json_field(const std::string& text, const std::string& key) {
    const std::string k = "\"" + key + "\":";
    std::size_t at = text.find(k);
    if (at == std::string::npos) {
        return {};
    }
    at += k.size();
    if (at < text.size() && text[at] == '"') {
        std::size_t end = text.find('"', at + 1);
        return end == std::string::npos ? std::string() : text.substr(at + 1, end - at - 1);
    }
    std::size_t end = text.find_first_of(",}]", at);
    return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

} // namespace tutti::testing
