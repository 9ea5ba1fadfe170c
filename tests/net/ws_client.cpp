// SPDX-License-Identifier: MIT
/** \file
 * The test client of ws_client.h.
 */
#include "net/ws_client.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
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
    std::thread reader;
    mutable std::mutex mutex;
    std::condition_variable arrived;
    std::vector<Received> messages;
    std::size_t taken = 0;
    bool open = false;
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
    impl_->reader = std::thread([this] {
        for (;;) {
            beast::flat_buffer b;
            beast::error_code ec;
            impl_->ws.read(b, ec);
            if (ec) {
                break;
            }
            Received r{Clock::now(), beast::buffers_to_string(b.data())};
            {
                std::lock_guard<std::mutex> l(impl_->mutex);
                impl_->messages.push_back(std::move(r));
            }
            impl_->arrived.notify_all();
        }
        std::lock_guard<std::mutex> l(impl_->mutex);
        impl_->open = false;
        impl_->arrived.notify_all();
    });
    return true;
}

bool WsClient::send(const std::string& text) {
    beast::error_code ec;
    impl_->ws.text(true);
    impl_->ws.write(net::buffer(text), ec);
    return !ec;
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
        beast::error_code ec;
        impl_->ws.next_layer().shutdown(tcp::socket::shutdown_both, ec);
        impl_->ws.next_layer().close(ec);
        impl_->reader.join();
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
