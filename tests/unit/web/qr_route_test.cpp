// SPDX-License-Identifier: MIT
// GET /qr.svg (src/http/request_handler.cpp): the QR code of the page's URL,
// which holds the token, so only for a loopback peer or one that has it.
#include <gtest/gtest.h>

#include <memory>

#include "http/request_handler.h"
#include "web/qr_code.h"

using namespace tutti;

namespace {

class EmptyPort : public http::ControlPort {
public:
    std::shared_ptr<const http::AddressTable> table() override {
        return table_;
    }
    double value(const http::AddressTable&, std::size_t) override {
        return 0;
    }
    bool set(const http::AddressTable&, std::size_t, double) override {
        return false;
    }

private:
    std::shared_ptr<const http::AddressTable> table_ =
        std::make_shared<http::AddressTable>(1, "{}", std::vector<http::Control>{});
};

http::Answer get(std::string_view target, bool loopback_peer, std::string_view page_url) {
    EmptyPort port;
    http::Request r;
    r.method = "GET";
    r.target = target;
    r.host = loopback_peer ? "127.0.0.1:23000" : "192.168.1.20:23000";
    http::Access access;
    access.loopback_peer = loopback_peer;
    access.token = "t0k3n";
    access.page_url = page_url;
    return http::handle_request(r, port, access);
}

const char* kUrl = "http://192.168.1.20:23000/?token=t0k3n";

} // namespace

TEST(QrRoute, ServesTheCodeOfThePageUrl) {
    http::Answer a = get("/qr.svg", true, kUrl);
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.content_type, "image/svg+xml");
    EXPECT_EQ(a.body, web::qr_svg(kUrl));
}

TEST(QrRoute, FromAnotherMachineOnlyWithTheToken) {
    EXPECT_EQ(get("/qr.svg", false, kUrl).status, 403);
    EXPECT_EQ(get("/qr.svg?token=wrong", false, kUrl).status, 403);
    http::Answer a = get("/qr.svg?token=t0k3n", false, kUrl);
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, web::qr_svg(kUrl));
}

TEST(QrRoute, NotFoundUntilThePageUrlIsKnown) {
    EXPECT_EQ(get("/qr.svg", true, "").status, 404);
}
