// SPDX-License-Identifier: MIT
/** \file
 * The Browser (see browser.h): a simple poll on the calling thread, one
 * service browser, one resolver per service seen; the loop ends at the
 * deadline, on an error, or when the daemon's first answers are all in.
 */
#include "discovery/browser.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "discovery/avahi_support.h"

namespace tutti::discovery {

namespace {

using Key = std::tuple<AvahiIfIndex, AvahiProtocol, std::string>; // how the daemon names a service

struct Session {
    AvahiClient* client = nullptr;
    std::map<Key, ServerInfo> found;
    int pending = 0;          // resolvers not answered yet
    bool all_for_now = false; // the browser's first answers are in
    std::string error;
};

void on_resolve(AvahiServiceResolver* r, AvahiIfIndex interface, AvahiProtocol protocol,
                AvahiResolverEvent event, const char* name, const char* /*type*/,
                const char* /*domain*/, const char* host, const AvahiAddress* address,
                uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags /*flags*/, void* self) {
    auto* s = static_cast<Session*>(self);
    --s->pending;
    if (event == AVAHI_RESOLVER_FOUND && name != nullptr && address != nullptr) {
        ServerInfo info;
        info.name = name;
        info.host = host != nullptr ? host : "";
        char text[AVAHI_ADDRESS_STR_MAX] = {};
        avahi_address_snprint(text, sizeof text, address);
        info.address = text;
        info.interface = detail::interface_name(interface);
        info.port = port;
        info.txt = detail::from_string_list(txt);
        info.facts = parse_txt(info.txt);
        s->found[Key{interface, protocol, info.name}] = std::move(info);
    }
    // A failed resolve (the service left, or did not answer in time) lists nothing.
    avahi_service_resolver_free(r);
}

void on_browse(AvahiServiceBrowser* /*b*/, AvahiIfIndex interface, AvahiProtocol protocol,
               AvahiBrowserEvent event, const char* name, const char* type, const char* domain,
               AvahiLookupResultFlags /*flags*/, void* self) {
    auto* s = static_cast<Session*>(self);
    switch (event) {
    case AVAHI_BROWSER_NEW:
        // The address in the protocol the service was seen on (an IPv4
        // announcement resolves to an IPv4 address).
        if (avahi_service_resolver_new(s->client, interface, protocol, name, type, domain, protocol,
                                       AvahiLookupFlags(0), on_resolve, s) != nullptr) {
            ++s->pending;
        }
        break;
    case AVAHI_BROWSER_REMOVE:
        s->found.erase(Key{interface, protocol, name});
        break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
        s->all_for_now = true;
        break;
    case AVAHI_BROWSER_FAILURE:
        s->error = "browse failed: " + detail::avahi_error_text(avahi_client_errno(s->client));
        break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
        break;
    }
}

void on_client(AvahiClient* c, AvahiClientState state, void* self) {
    auto* s = static_cast<Session*>(self);
    if (state == AVAHI_CLIENT_FAILURE) {
        s->error = detail::avahi_error_text(avahi_client_errno(c));
    }
}

} // namespace

BrowseResult Browser::run() const {
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    auto deadline = t0 + options_.timeout;
    BrowseResult result;
    AvahiSimplePoll* poll = avahi_simple_poll_new();
    if (poll == nullptr) {
        result.error = "cannot create an Avahi poll";
        return result;
    }
    Session s;
    int err = 0;
    // No NO_FAIL flag: without a daemon this fails at once instead of waiting.
    s.client =
        avahi_client_new(avahi_simple_poll_get(poll), AvahiClientFlags(0), on_client, &s, &err);
    if (s.client == nullptr) {
        result.error = detail::avahi_error_text(err);
        avahi_simple_poll_free(poll);
        return result;
    }
    AvahiServiceBrowser* browser = avahi_service_browser_new(
        s.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, options_.service_type.c_str(), nullptr,
        AvahiLookupFlags(0), on_browse, &s);
    if (browser == nullptr) {
        s.error = "cannot browse for " + options_.service_type + ": " +
                  detail::avahi_error_text(avahi_client_errno(s.client));
    }
    while (s.error.empty()) {
        auto now = Clock::now();
        if (now >= deadline) {
            break;
        }
        if (!options_.wait_full_timeout && s.all_for_now && s.pending == 0) {
            break;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        int ms = int(std::max<std::chrono::milliseconds::rep>(1, left.count()));
        if (avahi_simple_poll_iterate(poll, ms) != 0) {
            break;
        }
    }
    if (browser != nullptr) {
        avahi_service_browser_free(browser);
    }
    avahi_client_free(s.client); // and the resolvers still pending
    avahi_simple_poll_free(poll);

    result.error = s.error;
    for (auto& [key, info] : s.found) {
        bool seen = std::any_of(result.servers.begin(), result.servers.end(), [&](const auto& o) {
            return o.name == info.name && o.address == info.address && o.port == info.port;
        });
        if (!seen) {
            result.servers.push_back(std::move(info));
        }
    }
    std::sort(result.servers.begin(), result.servers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.name, a.address, a.port) < std::tie(b.name, b.address, b.port);
    });
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

BrowseResult discover_machines(std::chrono::milliseconds timeout) {
    BrowseOptions o;
    o.timeout = timeout;
    return Browser(o).run();
}

} // namespace tutti::discovery
