// SPDX-License-Identifier: MIT
/** \file
 * The Advertiser (see advertiser.h): one avahi client on a threaded poll, one
 * entry group holding every service of the server, re-made whenever the
 * client reaches S_RUNNING (first connection, daemon restart, host name
 * change). Invariants: `client_`, `group_` and the timers are touched only on
 * the Avahi thread or with the poll lock held (start, the destructor); the
 * snapshot read by other threads (state, name, error) is under `mu_`.
 */
#include "discovery/advertiser.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <utility>

#include "discovery/avahi_support.h"
#include "discovery/txt_record.h"
#include "tutti/version.h"

namespace tutti::discovery {

const char* to_string(AdvertiseState state) {
    switch (state) {
    case AdvertiseState::Waiting:
        return "waiting";
    case AdvertiseState::Registering:
        return "registering";
    case AdvertiseState::Established:
        return "established";
    case AdvertiseState::Failed:
        return "failed";
    }
    return "?";
}

struct Advertiser::Impl {
    AdvertiseOptions opt;
    detail::Scope scope;
    AvahiThreadedPoll* poll = nullptr;
    AvahiClient* client = nullptr;
    AvahiEntryGroup* group = nullptr;
    AvahiTimeout* reconnect_timer = nullptr;
    AvahiTimeout* load_timer = nullptr;
    std::string current_name; // Avahi thread
    std::string load_text;    // the load in the published record

    mutable std::mutex mu;
    mutable std::condition_variable cv;
    AdvertiseState state = AdvertiseState::Waiting;
    std::string shown_name;
    std::string error;
    unsigned registrations = 0;

    ~Impl();
    void event(const std::string& text) const {
        if (opt.on_event) {
            opt.on_event(text);
        }
    }
    void set_state(AdvertiseState s, const std::string& err) {
        {
            std::lock_guard<std::mutex> lock(mu);
            state = s;
            shown_name = current_name;
            if (s == AdvertiseState::Established) {
                ++registrations;
                error.clear();
            } else if (!err.empty()) {
                error = err;
            }
        }
        cv.notify_all();
    }
    const AvahiPoll* api() const {
        return avahi_threaded_poll_get(poll);
    }
    void arm(AvahiTimeout* t, std::chrono::milliseconds after) const {
        timeval tv{};
        avahi_elapse_time(&tv, unsigned(after.count()), 0);
        api()->timeout_update(t, &tv);
    }
    ServerFacts facts() const {
        ServerFacts f;
        f.version = opt.version;
        f.cpu = opt.cpu;
        f.api = opt.api_path;
        f.cores = online_cpus();
        f.load = opt.load_source ? opt.load_source() : current_load();
        f.osc_port = opt.osc_port;
        f.http_port = opt.http_port;
        return f;
    }

    void connect();
    void schedule_reconnect(std::chrono::milliseconds after);
    void create_services(AvahiClient* c);
    void rename();
    void update_load();

    static void on_client(AvahiClient* c, AvahiClientState s, void* self);
    static void on_group(AvahiEntryGroup* g, AvahiEntryGroupState s, void* self);
    static void on_reconnect(AvahiTimeout* t, void* self);
    static void on_load(AvahiTimeout* t, void* self);
};

void Advertiser::Impl::connect() {
    int err = 0;
    // NO_FAIL: without a daemon the client waits for it (CONNECTING) instead of
    // failing; it still fails when the bus itself cannot be reached.
    AvahiClient* c = avahi_client_new(api(), AVAHI_CLIENT_NO_FAIL, on_client, this, &err);
    if (c == nullptr) {
        client = nullptr; // the callback may have seen it before it was freed
        group = nullptr;
        std::string text = detail::avahi_error_text(err);
        set_state(AdvertiseState::Waiting, text);
        event("not advertised yet: " + text + "; retrying every " +
              std::to_string(opt.retry_interval.count()) + " ms");
        schedule_reconnect(opt.retry_interval);
        return;
    }
    client = c;
}

void Advertiser::Impl::schedule_reconnect(std::chrono::milliseconds after) {
    arm(reconnect_timer, after);
}

void Advertiser::Impl::on_reconnect(AvahiTimeout* t, void* self) {
    auto* a = static_cast<Impl*>(self);
    a->api()->timeout_update(t, nullptr);
    if (a->client != nullptr) {
        avahi_client_free(a->client); // frees the group too
        a->client = nullptr;
        a->group = nullptr;
    }
    a->connect();
}

void Advertiser::Impl::on_client(AvahiClient* c, AvahiClientState s, void* self) {
    auto* a = static_cast<Impl*>(self);
    switch (s) {
    case AVAHI_CLIENT_S_RUNNING:
        a->client = c;
        a->create_services(c);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        // The host name is being (re)established: withdraw, publish again at S_RUNNING.
        if (a->group != nullptr) {
            avahi_entry_group_reset(a->group);
        }
        a->set_state(AdvertiseState::Registering, "");
        break;
    case AVAHI_CLIENT_CONNECTING: {
        std::string text = detail::avahi_error_text(AVAHI_ERR_NO_DAEMON);
        a->set_state(AdvertiseState::Waiting, text);
        a->event("not advertised yet: " + text + "; waiting for avahi-daemon");
        break;
    }
    case AVAHI_CLIENT_FAILURE: {
        // The daemon went away (restart) or the bus did: start over with a new
        // client, outside this callback.
        int err = avahi_client_errno(c);
        std::string text = detail::avahi_error_text(err);
        a->set_state(AdvertiseState::Waiting, text);
        if (err == AVAHI_ERR_DISCONNECTED) {
            a->event("lost avahi-daemon (" + text + "); will register again when it is back");
            a->schedule_reconnect(std::chrono::milliseconds(0));
        } else {
            a->event("avahi client failed: " + text + "; retrying");
            a->schedule_reconnect(a->opt.retry_interval);
        }
        break;
    }
    }
}

void Advertiser::Impl::create_services(AvahiClient* c) {
    if (group == nullptr) {
        group = avahi_entry_group_new(c, on_group, this);
        if (group == nullptr) {
            std::string text = detail::avahi_error_text(avahi_client_errno(c));
            set_state(AdvertiseState::Failed, text);
            event("cannot create an entry group: " + text);
            return;
        }
    }
    if (avahi_entry_group_is_empty(group) == 0) {
        return; // already added (and committed)
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
        ServerFacts f = facts();
        load_text = f.load >= 0 ? format_load(f.load) : "";
        AvahiStringList* txt = detail::to_string_list(make_txt(f));
        int err = avahi_entry_group_add_service_strlst(
            group, scope.interface, scope.protocol, AvahiPublishFlags(0), current_name.c_str(),
            tutti_service_type, nullptr, nullptr, opt.port, txt);
        avahi_string_list_free(txt);
        if (err == 0 && opt.osc_port != 0) {
            err = avahi_entry_group_add_service(
                group, scope.interface, scope.protocol, AvahiPublishFlags(0), current_name.c_str(),
                osc_service_type, nullptr, nullptr, opt.osc_port, "txtvers=1", nullptr);
        }
        if (err == 0 && opt.http_port != 0) {
            err = avahi_entry_group_add_service(
                group, scope.interface, scope.protocol, AvahiPublishFlags(0), current_name.c_str(),
                http_service_type, nullptr, nullptr, opt.http_port, "path=/", nullptr);
        }
        if (err == AVAHI_ERR_COLLISION) {
            // A service of that name is registered on this host already.
            std::string old = current_name;
            rename();
            event("name '" + old + "' is taken on this host; renamed to '" + current_name + "'");
            avahi_entry_group_reset(group);
            continue;
        }
        if (err == 0) {
            err = avahi_entry_group_commit(group);
        }
        if (err != 0) {
            std::string text = detail::avahi_error_text(err);
            set_state(AdvertiseState::Failed, text);
            event("cannot register the services: " + text);
            avahi_entry_group_reset(group);
            return;
        }
        set_state(AdvertiseState::Registering, "");
        return;
    }
}

void Advertiser::Impl::rename() {
    char* alt = avahi_alternative_service_name(current_name.c_str());
    current_name = alt;
    avahi_free(alt);
}

void Advertiser::Impl::on_group(AvahiEntryGroup* g, AvahiEntryGroupState s, void* self) {
    auto* a = static_cast<Impl*>(self);
    a->group = g;
    switch (s) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED: {
        a->set_state(AdvertiseState::Established, "");
        std::string text = "advertised '" + a->current_name + "' (" + tutti_service_type +
                           " port " + std::to_string(a->opt.port);
        if (a->opt.osc_port != 0) {
            text += std::string(", ") + osc_service_type + " " + std::to_string(a->opt.osc_port);
        }
        if (a->opt.http_port != 0) {
            text += std::string(", ") + http_service_type + " " + std::to_string(a->opt.http_port);
        }
        text += ") on " + a->scope.description + "; cpu=" + a->opt.cpu + " load=" + a->load_text;
        a->event(text);
        break;
    }
    case AVAHI_ENTRY_GROUP_COLLISION: {
        // Another host on the link has the name: take the next one and try again.
        std::string old = a->current_name;
        a->rename();
        a->event("name '" + old + "' is taken on the network; renamed to '" + a->current_name +
                 "'");
        avahi_entry_group_reset(g);
        a->create_services(avahi_entry_group_get_client(g));
        break;
    }
    case AVAHI_ENTRY_GROUP_FAILURE: {
        std::string text =
            detail::avahi_error_text(avahi_client_errno(avahi_entry_group_get_client(g)));
        a->set_state(AdvertiseState::Failed, text);
        a->event("registration failed: " + text + "; retrying");
        a->schedule_reconnect(a->opt.retry_interval);
        break;
    }
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

void Advertiser::Impl::update_load() {
    if (group == nullptr || client == nullptr ||
        avahi_client_get_state(client) != AVAHI_CLIENT_S_RUNNING ||
        avahi_entry_group_get_state(group) != AVAHI_ENTRY_GROUP_ESTABLISHED) {
        return;
    }
    ServerFacts f = facts();
    std::string text = f.load >= 0 ? format_load(f.load) : "";
    if (text == load_text) {
        return;
    }
    AvahiStringList* txt = detail::to_string_list(make_txt(f));
    int err = avahi_entry_group_update_service_txt_strlst(
        group, scope.interface, scope.protocol, AvahiPublishFlags(0), current_name.c_str(),
        tutti_service_type, nullptr, txt);
    avahi_string_list_free(txt);
    if (err == 0) {
        load_text = text;
    } else {
        event("cannot update the load in the TXT record: " + detail::avahi_error_text(err));
    }
}

void Advertiser::Impl::on_load(AvahiTimeout* t, void* self) {
    auto* a = static_cast<Impl*>(self);
    a->update_load();
    a->arm(t, a->opt.load_interval);
}

Advertiser::Impl::~Impl() {
    if (poll == nullptr) {
        return;
    }
    avahi_threaded_poll_stop(poll);
    // Withdraw explicitly (a D-Bus call the daemon answers after sending the
    // goodbyes), then disconnect.
    if (group != nullptr && client != nullptr &&
        avahi_client_get_state(client) == AVAHI_CLIENT_S_RUNNING) {
        avahi_entry_group_free(group);
    }
    group = nullptr;
    if (client != nullptr) {
        avahi_client_free(client);
    }
    avahi_threaded_poll_free(poll); // frees the timers
}

std::unique_ptr<Advertiser> Advertiser::start(AdvertiseOptions options, std::string* error) {
    auto fail = [&](const std::string& text) {
        if (error != nullptr) {
            *error = text;
        }
        return std::unique_ptr<Advertiser>();
    };
    if (options.port == 0) {
        return fail("discovery: the server's port is required");
    }
    if (options.name.empty()) {
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
            std::snprintf(host, sizeof host, "unknown");
        }
        options.name = std::string("tutti on ") + host;
        options.name.resize(std::min<std::size_t>(options.name.size(), 63));
    }
    if (options.name.size() > 63) {
        return fail("discovery: the service name '" + options.name +
                    "' is longer than 63 bytes (a DNS label)");
    }
    if (avahi_is_valid_service_name(options.name.c_str()) == 0) {
        return fail("discovery: '" + options.name + "' is not a valid DNS-SD service name");
    }
    if (options.version.empty()) {
        options.version = tutti::version;
    }
    if (options.load_interval.count() < 100) {
        options.load_interval = std::chrono::milliseconds(100);
    }
    auto impl = std::make_unique<Impl>();
    std::string scope_error;
    if (!detail::scope_for_listen_address(options.listen_address, impl->scope, &scope_error)) {
        return fail("discovery: " + scope_error);
    }
    impl->opt = std::move(options);
    impl->current_name = impl->opt.name;
    impl->shown_name = impl->current_name;
    impl->poll = avahi_threaded_poll_new();
    if (impl->poll == nullptr) {
        return fail("discovery: cannot create the Avahi poll thread");
    }
    Impl* p = impl.get();
    p->reconnect_timer = p->api()->timeout_new(p->api(), nullptr, Impl::on_reconnect, p);
    p->load_timer = p->api()->timeout_new(p->api(), nullptr, Impl::on_load, p);
    p->arm(p->load_timer, p->opt.load_interval);
    p->connect(); // before the thread runs: no lock needed
    if (avahi_threaded_poll_start(p->poll) < 0) {
        return fail("discovery: cannot start the Avahi poll thread");
    }
    return std::unique_ptr<Advertiser>(new Advertiser(std::move(impl)));
}

Advertiser::Advertiser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
}

Advertiser::~Advertiser() = default;

AdvertiseState Advertiser::state() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->state;
}

std::string Advertiser::name() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->shown_name;
}

std::string Advertiser::last_error() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->error;
}

unsigned Advertiser::registrations() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->registrations;
}

bool Advertiser::wait_established(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(impl_->mu);
    return impl_->cv.wait_for(lock, timeout,
                              [&] { return impl_->state == AdvertiseState::Established; });
}

std::unique_ptr<Advertiser> advertise_server(std::uint16_t api_port,
                                             const std::string& listen_address,
                                             const std::string& cpu, std::uint16_t osc_port,
                                             std::uint16_t http_port, std::string* error,
                                             std::function<void(const std::string&)> on_event) {
    AdvertiseOptions o;
    o.port = api_port;
    o.listen_address = listen_address;
    o.cpu = cpu;
    o.osc_port = osc_port;
    o.http_port = http_port;
    o.on_event = std::move(on_event);
    return Advertiser::start(std::move(o), error);
}

} // namespace tutti::discovery
