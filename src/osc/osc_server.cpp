// SPDX-License-Identifier: MIT
#include "osc/osc_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <tuple>

#include "control/osc_pattern.h"
#include "support/loopback.h"

namespace tutti::osc {

using control::AddressSpace;
using control::Program;
using control::Snapshot;

namespace {

constexpr const char* version_str = "1.22"; // the oscfaust version whose behaviour we follow
constexpr std::size_t max_subscribers = 32;
constexpr std::size_t max_aliases = 4096;
constexpr int max_errors_per_second = 200;

std::string ip_text(std::uint32_t ip_network) {
    char buf[INET_ADDRSTRLEN] = {};
    in_addr a{};
    a.s_addr = ip_network;
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

bool parse_ip(std::string host, std::uint32_t& ip) {
    if (host == "localhost" || host.empty()) {
        host = "127.0.0.1";
    }
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) != 1) {
        return false;
    }
    ip = a.s_addr;
    return true;
}

/// A host name's first IPv4 address (the command line's --desthost; a
/// `desthost` message takes an address only: no DNS on the receive thread).
bool lookup_ip(const std::string& host, std::uint32_t& ip) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
        return false;
    }
    ip = reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr.s_addr;
    freeaddrinfo(res);
    return true;
}

/// Whether an address matches an xmitfilter pattern: segment by segment, or as
/// a whole where '*' also spans '/' (Faust's OSCRegexp turns '*' into ".*" and
/// matches the whole address).
bool path_matches(std::string_view pattern, std::string_view address) {
    if (control::match_segment(pattern, address)) {
        return true;
    }
    auto p = control::split_path(pattern);
    auto a = control::split_path(address);
    if (p.size() != a.size()) {
        return false;
    }
    for (std::size_t k = 0; k < p.size(); ++k) {
        if (!control::match_segment(p[k], a[k])) {
            return false;
        }
    }
    return true;
}

std::string flatten(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (char c : json) {
        if (c != '\n' && c != '\t') {
            out += c;
        }
    }
    return out;
}

/// The local address a reply to `peer` leaves from (for `hello`).
std::string local_ip_towards(std::uint32_t peer, const std::string& bound) {
    if (bound != "0.0.0.0") {
        return bound;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    std::string ip = "127.0.0.1";
    if (s >= 0) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(9);
        to.sin_addr.s_addr = peer;
        sockaddr_in me{};
        socklen_t len = sizeof me;
        if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
            getsockname(s, reinterpret_cast<sockaddr*>(&me), &len) == 0) {
            ip = ip_text(me.sin_addr.s_addr);
        }
        close(s);
    }
    return ip;
}

const char* kind_is_bargraph(const Parameter& p) {
    return (p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph) ? "b"
                                                                                          : nullptr;
}

/// A control's output range for aliases and `get`, as Faust's nodes have it.
std::pair<double, double> range_of(const Parameter& p) {
    if (p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox) {
        return {0, 1};
    }
    return {p.min, p.max};
}

/// The address a reply or feedback about `path` of `p` is sent at: the JSON
/// address, prefixed with "/<instance>" when another program has the same root.
std::string out_address(const Snapshot& s, const Program& p, const std::string& path) {
    for (const Program& q : s.programs) {
        if (q.id != p.id && !q.space->empty() && !p.space->empty() &&
            q.space->root().name == p.space->root().name) {
            return "/" + p.name + path;
        }
    }
    return path;
}

} // namespace

double Server::Alias::scale(double x) const {
    if (imin < imax) {
        double z = x < imin ? imin : x > imax ? imax : x;
        return omin + (z - imin) * (omax - omin) / (imax - imin);
    }
    if (imin > imax) {
        double z = x < imax ? imax : x > imin ? imin : x;
        return omin + (imin - z) * (omax - omin) / (imin - imax);
    }
    return (omin + omax) / 2.0;
}

double Server::Alias::invscale(double x) const {
    if (omin < omax) {
        double z = x < omin ? omin : x > omax ? omax : x;
        return imin + (z - omin) * (imax - imin) / (omax - omin);
    }
    if (omin > omax) {
        double z = x < omax ? omax : x > omin ? omin : x;
        return imin + (omin - z) * (imax - imin) / (omin - omax);
    }
    return (imin + imax) / 2.0;
}

Server::Server(control::ControlHub& hub, ServerOptions options)
    : hub_(hub), options_(std::move(options)) {
    outport_ = options_.outport;
    errport_ = options_.errport;
    xmit_ = options_.xmit;
    bundle_ = options_.bundle;
    filters_ = options_.xmitfilter;
    if (!parse_ip(options_.desthost, dest_ip_) && !lookup_ip(options_.desthost, dest_ip_)) {
        parse_ip("127.0.0.1", dest_ip_);
    }
    dest_from_sender_ = options_.desthost == "127.0.0.1" || options_.desthost == "localhost";
}

Server::~Server() {
    stop();
}

bool Server::start(std::string* error) {
    std::uint32_t bind_ip = 0;
    if (!parse_ip(options_.listen == "0.0.0.0" ? "0.0.0.0" : options_.listen, bind_ip)) {
        if (error) {
            *error = "cannot listen on '" + options_.listen + "': not an IPv4 address";
        }
        return false;
    }
    int port = options_.port;
    for (int tries = 0;; ++tries) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            if (error) {
                *error = std::string("socket: ") + std::strerror(errno);
            }
            return false;
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = bind_ip;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            break;
        }
        int e = errno;
        close(fd_);
        fd_ = -1;
        if (e != EADDRINUSE || tries >= options_.port_tries || port >= 65535) {
            if (error) {
                *error = "cannot bind UDP " + options_.listen + ":" + std::to_string(port) + ": " +
                         std::strerror(e);
            }
            return false;
        }
        // Faust's rule (OSCSetup::start): the next port, skipping the out and error ports.
        do {
            ++port;
        } while (port == options_.outport || port == options_.errport);
    }
    int size = 1 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    port_ = port;
    rebuild_aliases(*hub_.snapshot());
    running_ = true;
    thread_ = std::thread([this] { receive_loop(); });
    subscription_ = hub_.subscribe(std::max(options_.feedback_hz, 25.0),
                                   [this](const control::Feedback& fb) { feedback(fb); });
    return true;
}

void Server::stop() {
    if (subscription_ != 0) {
        hub_.unsubscribe(subscription_);
        subscription_ = 0;
    }
    running_ = false;
    if (thread_.joinable()) {
        thread_.join();
    }
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
}

int Server::outport() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outport_;
}

int Server::errport() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return errport_;
}

std::string Server::url() const {
    return "osc.udp://" + options_.listen + ":" + std::to_string(port_) + "/";
}

std::string Server::infos() const {
    auto s = hub_.snapshot();
    std::string roots;
    for (const Program& p : s->programs) {
        roots += (roots.empty() ? "'" : ", '") +
                 (p.space->empty() ? p.name : p.space->root().name) + "'";
    }
    std::lock_guard<std::mutex> lock(mutex_);
    std::ostringstream o;
    o << "Faust OSC version " << version_str << " - " << roots << " is running on UDP ports "
      << port_ << ", " << outport_ << ", " << errport_ << ", sending on " << ip_text(dest_ip_);
    if (xmit_ > 0) {
        o << ", with xmit mode = " << xmit_;
    }
    o << (bundle_ ? ", with bundle mode ON." : ".");
    o << " Listening on " << options_.listen << ".";
    return o.str();
}

ServerStats Server::stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
}

void Server::receive_loop() {
    std::vector<std::uint8_t> buf(max_packet + 1);
    while (running_.load()) {
        pollfd pfd{fd_, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd_, buf.data(), buf.size(), MSG_TRUNC,
                             reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0 || from.sin_family != AF_INET) {
            continue;
        }
        Request r;
        r.ip = from.sin_addr.s_addr;
        r.port = ntohs(from.sin_port);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.packets;
            r.trusted = is_loopback_ipv4(r.ip) || authorised_.count(r.ip) > 0;
        }
        if (std::size_t(n) > max_packet) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                ++stats_.malformed;
            }
            error(r, "/",
                  "packet of " + std::to_string(n) + " bytes dropped: larger than " +
                      std::to_string(max_packet));
            continue;
        }
        handle_packet(buf.data(), std::size_t(n), r);
    }
}

void Server::handle_packet(const std::uint8_t* data, std::size_t size, const Request& from) {
    std::vector<Message> msgs;
    std::string why;
    if (!decode({data, size}, msgs, &why)) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.malformed;
        }
        error(from, "/", "malformed OSC packet dropped: " + why);
        return;
    }
    auto s = hub_.snapshot();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.messages += msgs.size();
        // OSCListener: the first sender off loopback becomes the destination
        // of feedback when it was left to localhost.
        if (dest_from_sender_ && from.trusted && !is_loopback_ipv4(from.ip)) {
            dest_ip_ = from.ip;
            dest_from_sender_ = false;
        }
    }
    rebuild_aliases(*s); // the aliases of metadata follow the playing versions
    for (const Message& m : msgs) {
        handle(m, from, *s);
    }
}

void Server::rebuild_aliases(const Snapshot& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    // Keep the aliases made by messages; redo those of metadata from the current versions.
    std::string key;
    for (const Program& p : s.programs) {
        key += std::to_string(p.id) + ":" + std::to_string(p.ui.generation) + ";";
    }
    if (key == meta_key_) {
        return;
    }
    meta_key_ = key;
    for (auto it = aliases_.begin(); it != aliases_.end();) {
        std::erase_if(it->second, [](const Alias& a) { return a.meta; });
        it = it->second.empty() ? aliases_.erase(it) : std::next(it);
    }
    for (const Program& p : s.programs) {
        for (const Parameter& par : p.space->parameters()) {
            for (const auto& [k, v] : par.metadata) {
                if (strcasecmp(k.c_str(), "osc") != 0) {
                    continue;
                }
                // OSCUI/FaustFactory::addAlias: "/address [imin imax]" (0 1 when absent).
                std::istringstream ss(v);
                std::string path;
                double imin = 0, imax = 1;
                ss >> path;
                if (!(ss >> imin)) {
                    imin = 0;
                } else if (!(ss >> imax)) {
                    imax = 1;
                }
                if (path.empty() || path[0] != '/') {
                    continue;
                }
                Alias a;
                a.program = p.id;
                a.target = par.path;
                a.imin = imin;
                a.imax = imax;
                std::tie(a.omin, a.omax) = range_of(par);
                a.meta = true;
                aliases_[path].push_back(a);
            }
        }
    }
}

void Server::send(std::uint32_t ip, int port, const std::vector<std::uint8_t>& bytes,
                  const std::string& what) {
    if (bytes.size() > max_datagram) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.too_big;
        }
        Request r;
        r.ip = ip;
        error(r, what,
              "reply of " + std::to_string(bytes.size()) +
                  " bytes does not fit in one UDP datagram (at most " +
                  std::to_string(max_datagram) + "): not sent; ask HTTP GET /JSON instead");
        return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = ip;
    ssize_t n = sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (n == ssize_t(bytes.size())) {
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.sent;
    }
}

void Server::reply(const Request& to, const Writer& w) {
    int port;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        port = outport_;
    }
    send(to.ip, port, w.bytes(), w.address());
}

void Server::error(const Request& to, const std::string& address, const std::string& text) {
    int port;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        port = errport_;
        // At most max_errors_per_second error messages: a flood of bad packets
        // (perhaps with a forged source) cannot turn the server into a sender.
        auto now = std::chrono::steady_clock::now();
        if (now - error_window_ >= std::chrono::seconds(1)) {
            error_window_ = now;
            errors_in_window_ = 0;
        }
        if (++errors_in_window_ > max_errors_per_second) {
            return;
        }
    }
    Writer w(address.empty() || address[0] != '/' ? "/" + address : address);
    w.s("error").s(text.substr(0, 4000));
    auto bytes = w.bytes();
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<std::uint16_t>(port));
    dst.sin_addr.s_addr = to.ip;
    sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&dst),
           sizeof dst);
}

bool Server::set_value(const Program& p, std::size_t parameter, double value,
                       std::uint64_t timetag) {
    std::int64_t frame = ParameterChange::now;
    if (timetag != immediately && p.engine) {
        // NTP time (seconds since 1900, 32.32 fixed point) to an engine frame.
        using namespace std::chrono;
        double secs =
            double(timetag >> 32) - 2208988800.0 + double(timetag & 0xffffffffu) / 4294967296.0;
        double now = duration<double>(system_clock::now().time_since_epoch()).count();
        double ahead = secs - now;
        FrameClock clock = p.engine->frame_clock();
        if (ahead > 0 && ahead < 60 && clock.at != steady_clock::time_point{}) {
            double since = duration<double>(steady_clock::now() - clock.at).count();
            double sr = p.engine->options().sample_rate;
            frame = std::int64_t(clock.frame) + std::int64_t(std::llround((since + ahead) * sr)) +
                    p.engine->options().max_block;
        }
    }
    return control::ControlHub::set(p, parameter, value, frame);
}

void Server::process_aliases(const Message& m, const Request& from, const Snapshot& s) {
    // RootNode::processMessage: one number: the alias at the address; several:
    // the aliases at address/0, address/1...
    std::vector<std::pair<std::string, double>> values;
    if (m.args.size() == 1) {
        if (auto v = m.args[0].number()) {
            values.emplace_back(m.address, *v);
        }
    } else {
        for (std::size_t i = 0; i < m.args.size(); ++i) {
            if (auto v = m.args[i].number()) {
                values.emplace_back(m.address + "/" + std::to_string(i), *v);
            }
        }
    }
    for (const auto& [addr, v] : values) {
        std::vector<Alias> targets;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = aliases_.find(addr);
            if (it == aliases_.end()) {
                continue;
            }
            targets = it->second;
        }
        if (!from.trusted) {
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.refused;
            continue;
        }
        for (const Alias& a : targets) {
            const Program* p = s.find(a.program);
            if (!p) {
                continue;
            }
            for (std::size_t k : p->space->resolve_parameters(a.target)) {
                set_value(*p, k, a.scale(v), m.timetag);
            }
        }
    }
}

void Server::get_node(const Request& to, const Snapshot& s, const Program& p,
                      AddressSpace::NodeId id) {
    for (AddressSpace::NodeId w : p.space->widgets(id)) {
        std::size_t k = p.space->node(w).parameter;
        const Parameter& par = p.space->parameters()[k];
        double v = p.ui.values && k < p.ui.values->size() ? p.ui.values->value(k) : par.init;
        auto [lo, hi] = range_of(par);
        Writer r(out_address(s, p, par.path));
        r.f(float(v)).f(float(lo)).f(float(hi));
        reply(to, r);
    }
}

void Server::get_root(const Request& to, const Snapshot& s, const Program& p,
                      const std::string& what) {
    const std::string root = out_address(s, p, p.space->root().address);
    int xmit, bundle, outport, errport;
    std::uint32_t dest;
    std::vector<std::pair<std::string, Alias>> aliases;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        xmit = xmit_;
        bundle = bundle_ ? 1 : 0;
        outport = outport_;
        errport = errport_;
        dest = dest_ip_;
        for (const auto& [name, list] : aliases_) {
            for (const Alias& a : list) {
                if (a.program == p.id) {
                    aliases.emplace_back(name, a);
                }
            }
        }
    }
    bool all = what.empty();
    if (all || what == "xmit") {
        reply(to, Writer(root).s("xmit").i(xmit));
    }
    if (all || what == "bundle") {
        reply(to, Writer(root).s("bundle").i(bundle));
    }
    if (all || what == "desthost") {
        reply(to, Writer(root).s("desthost").s(ip_text(dest)));
    }
    if (all || what == "json") {
        reply(to, Writer(root).s("json"));
    }
    if (all || what == "outport") {
        reply(to, Writer(root).s("outport").i(outport));
    }
    if (all || what == "errport") {
        reply(to, Writer(root).s("errport").i(errport));
    }
    if (all) {
        for (const auto& [name, a] : aliases) {
            reply(to, Writer(out_address(s, p, a.target))
                          .s("alias")
                          .s(name)
                          .f(float(a.imin))
                          .f(float(a.imax)));
        }
        get_node(to, s, p, 0);
    }
}

bool Server::handle_root(const Message& m, const Request& from, const Snapshot& s,
                         const Program& p) {
    const std::string root = out_address(s, p, p.space->root().address);
    std::optional<std::string_view> first = m.args.empty() ? std::nullopt : m.args[0].string();
    if (!first) {
        return false;
    }
    const std::string cmd(*first);
    if (m.args.size() == 1 && cmd == "hello") {
        int outport, errport;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            outport = outport_;
            errport = errport_;
        }
        reply(from, Writer(root)
                        .s(local_ip_towards(from.ip, options_.listen))
                        .i(port_)
                        .i(outport)
                        .i(errport));
        return true;
    }
    if (!from.trusted) {
        return false; // the caller refuses it
    }
    if (cmd == "json") {
        reply(from, Writer(root).s("json").s(flatten(p.ui.factory ? p.ui.factory->json() : "")));
        return true;
    }
    if (cmd == "get") {
        if (m.args.size() == 1) {
            get_root(from, s, p, "");
        } else if (auto what = m.args[1].string(); what && m.args.size() == 2) {
            get_root(from, s, p, std::string(*what));
        }
        return true;
    }
    if (cmd == "subscribe" || cmd == "unsubscribe") {
        std::optional<std::int64_t> port = m.args.size() == 2 ? m.args[1].integer() : std::nullopt;
        if (!port || *port <= 0 || *port > 65535) {
            error(from, root, cmd + " takes a port number");
            return true;
        }
        bool added = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto sub = std::make_pair(from.ip, std::uint16_t(*port));
            std::erase(subscribers_, sub);
            if (cmd == "subscribe" && subscribers_.size() < max_subscribers) {
                subscribers_.push_back(sub);
                added = true;
            }
        }
        if (added) {
            send_values(from, int(*port), s); // every value once, then the changes
        } else if (cmd == "subscribe") {
            error(from, root, "too many subscribers");
        }
        return true;
    }
    if (m.args.size() >= 2) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto num = m.args[1].integer();
        auto str = m.args[1].string();
        if (cmd == "desthost" && str) {
            std::uint32_t ip;
            if (parse_ip(std::string(*str), ip)) {
                dest_ip_ = ip;
                dest_from_sender_ = false;
            }
        } else if (cmd == "outport" && num && *num > 0 && *num < 65536) {
            outport_ = int(*num);
        } else if (cmd == "errport" && num && *num > 0 && *num < 65536) {
            errport_ = int(*num);
        } else if (cmd == "bundle" && num) {
            bundle_ = *num != 0;
        } else if (cmd == "xmit" && num) {
            xmit_ = int(*num);
        } else if (cmd == "xmitfilter") {
            for (std::size_t i = 1; i < m.args.size() && filters_.size() < 256; ++i) {
                if (auto f = m.args[i].string()) {
                    filters_.emplace_back(*f);
                }
            }
        } else {
            return false;
        }
        return true;
    }
    if (m.args.size() == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (cmd == "xmitfilter") {
            filters_.clear();
            return true;
        }
        if (cmd == "bundle") {
            return true; // feedback bundles are sent at the end of each refresh
        }
    }
    return false;
}

bool Server::alias_message(const Message& m, const Program& p, const Parameter& par) {
    // FaustNode::accept -> RootNode::aliasMsg: 1 argument: remove every alias of
    // this control; 2: remove one; 4: add one (imin imax, int or float).
    std::lock_guard<std::mutex> lock(mutex_);
    auto drop = [&](const std::string& name) {
        auto it = aliases_.find(name);
        if (it != aliases_.end()) {
            std::erase_if(it->second, [&](const Alias& a) {
                return a.program == p.id && a.target == par.path;
            });
            if (it->second.empty()) {
                aliases_.erase(it);
            }
        }
    };
    if (m.args.size() == 1) {
        std::vector<std::string> names;
        for (const auto& [name, list] : aliases_) {
            names.push_back(name);
        }
        for (const auto& n : names) {
            drop(n);
        }
        return true;
    }
    if (m.args.size() == 2 && m.args[1].string()) {
        drop(std::string(*m.args[1].string()));
        return true;
    }
    if (m.args.size() == 4 && m.args[1].string() && m.args[2].number() && m.args[3].number()) {
        std::size_t count = 0;
        for (const auto& [name, list] : aliases_) {
            count += list.size();
        }
        if (count >= max_aliases || m.args[1].string()->empty() ||
            (*m.args[1].string())[0] != '/') {
            return false;
        }
        Alias a;
        a.program = p.id;
        a.target = par.path;
        a.imin = *m.args[2].number();
        a.imax = *m.args[3].number();
        std::tie(a.omin, a.omax) = range_of(par);
        aliases_[std::string(*m.args[1].string())].push_back(a);
        return true;
    }
    return false;
}

void Server::send_values(const Request& to, int port, const Snapshot& s) {
    for (const Program& p : s.programs) {
        if (!p.ui.values) {
            continue;
        }
        for (std::size_t k = 0; k < p.space->parameters().size() && k < p.ui.values->size(); ++k) {
            const std::string& addr = p.space->parameters()[k].path;
            Writer w(out_address(s, p, addr));
            w.f(float(p.ui.values->value(k)));
            send(to.ip, port, w.bytes(), addr);
        }
    }
}

bool Server::status_message(const Message& m, const Request& from) {
    std::vector<control::StatusEntry> values = hub_.status(m.address);
    if (values.empty()) {
        return false;
    }
    if (!from.trusted) {
        error(from, m.address,
              "refused: a sender off loopback must first send '/<root> token <TOKEN>'");
        return true;
    }
    const bool get =
        m.args.empty() ||
        (m.args.size() == 1 && m.args[0].string() == std::optional<std::string_view>("get"));
    if (!get) {
        error(from, m.address, "read-only: a status value (ask with get, or no argument)");
        return true;
    }
    for (const control::StatusEntry& e : values) {
        Writer w(e.address);
        if (e.is_text) {
            w.s(e.text);
        } else {
            w.f(static_cast<float>(e.value));
        }
        reply(from, w);
    }
    return true;
}

void Server::handle(const Message& m, const Request& from, const Snapshot& s) {
    // The token, from a sender off loopback: `/<anything> token <TOKEN>`.
    if (m.args.size() == 2 && m.args[0].string() == std::optional<std::string_view>("token")) {
        auto tok = m.args[1].string();
        if (tok && hub_.write_allowed(false, *tok)) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (authorised_.size() < 1024) {
                authorised_.insert(from.ip);
            }
        } else {
            error(from, m.address, "wrong token");
        }
        return;
    }
    if (options_.command && m.address.rfind("/tutti/", 0) == 0) {
        if (!from.trusted) {
            error(from, m.address, "commands need loopback or the token");
            return;
        }
        std::vector<std::string> args;
        for (const Arg& arg : m.args) {
            if (auto t = arg.string()) {
                args.emplace_back(*t);
            } else if (auto v = arg.number()) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%g", *v);
                args.emplace_back(buf);
            }
        }
        if (auto text = options_.command(std::string_view(m.address).substr(7), args)) {
            Writer w(m.address);
            w.s(*text);
            reply(from, w);
        } else {
            error(from, m.address, "no such command");
        }
        return;
    }
    process_aliases(m, from, s);
    control::ResolveError why{};
    std::vector<control::Target> targets = control::ControlHub::resolve(s, m.address, &why);
    bool alias = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        alias = aliases_.count(m.address) > 0;
    }
    if (targets.empty() && !alias && status_message(m, from)) {
        return;
    }
    if (targets.empty()) {
        if (!alias) {
            error(from, m.address,
                  why == control::ResolveError::Ambiguous
                      ? "ambiguous address: several programs have it; prefix /<instance>"
                      : "no such address");
        }
        return;
    }
    bool refused = false;
    for (const control::Target& t : targets) {
        const Program& p = s.programs[t.program];
        for (AddressSpace::NodeId id : t.nodes) {
            const AddressSpace::Node& node = p.space->node(id);
            if (node.kind == AddressSpace::Node::Kind::Root && handle_root(m, from, s, p)) {
                continue;
            }
            if (!from.trusted) {
                refused = true;
                continue;
            }
            std::optional<std::string_view> first =
                m.args.empty() ? std::nullopt : m.args[0].string();
            if (first == std::optional<std::string_view>("get") && m.args.size() == 1) {
                get_node(from, s, p, id);
                continue;
            }
            if (node.kind != AddressSpace::Node::Kind::Widget) {
                continue;
            }
            const Parameter& par = p.space->parameters()[node.parameter];
            if (first == std::optional<std::string_view>("alias")) {
                if (!alias_message(m, p, par)) {
                    error(from, m.address, "incorrect alias message received");
                }
                continue;
            }
            if (m.args.size() == 1) {
                auto v = m.args[0].number();
                if (!v || kind_is_bargraph(par)) {
                    continue;
                }
                int xmit;
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    xmit = xmit_;
                }
                if (xmit == 2) {
                    continue; // only aliases set values in xmit 2 (FaustNode::accept)
                }
                set_value(p, node.parameter, *v, m.timetag);
            }
        }
    }
    if (refused) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++stats_.refused;
        }
        error(from, m.address,
              "refused: a sender off loopback must first send '/<root> token <TOKEN>'");
    }
}

void Server::feedback(const control::Feedback& fb) {
    const Snapshot& s = *fb.snapshot;
    rebuild_aliases(s);
    std::lock_guard<std::mutex> lock(mutex_);
    if (xmit_ == 0 && subscribers_.empty()) {
        return;
    }
    std::vector<std::vector<std::uint8_t>> main, subs;
    for (const control::ValueChange& c : fb.changes) {
        const Program& p = s.programs[c.program];
        const std::string& addr = p.space->parameters()[c.parameter].path;
        std::string out_addr = out_address(s, p, addr);
        if (!subscribers_.empty()) {
            subs.push_back(Writer(out_addr).f(float(c.value)).bytes());
        }
        if (xmit_ == 0) {
            continue;
        }
        bool filtered = false;
        for (const std::string& f : filters_) {
            filtered = filtered || path_matches(f, addr) || path_matches(f, out_addr);
        }
        if (filtered) {
            continue;
        }
        for (const auto& [name, list] : aliases_) {
            for (const Alias& a : list) {
                if (a.program == p.id && a.target == addr) {
                    main.push_back(Writer(name).f(float(a.invscale(c.value))).bytes());
                }
            }
        }
        if (xmit_ == 1) {
            main.push_back(Writer(out_addr).f(float(c.value)).bytes());
        }
    }
    auto emit = [&](std::uint32_t ip, int port,
                    const std::vector<std::vector<std::uint8_t>>& msgs) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(port));
        to.sin_addr.s_addr = ip;
        auto put = [&](const std::vector<std::uint8_t>& b) {
            if (sendto(fd_, b.data(), b.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) == ssize_t(b.size())) {
                ++stats_.sent;
            }
        };
        if (!bundle_) {
            for (const auto& b : msgs) {
                put(b);
            }
            return;
        }
        // One bundle per refresh, split where a datagram would overflow.
        std::vector<std::vector<std::uint8_t>> part;
        std::size_t size = 16;
        for (const auto& b : msgs) {
            if (!part.empty() && size + 4 + b.size() > 8192) {
                put(encode_bundle(immediately, part));
                part.clear();
                size = 16;
            }
            part.push_back(b);
            size += 4 + b.size();
        }
        if (!part.empty()) {
            put(encode_bundle(immediately, part));
        }
    };
    if (!main.empty()) {
        emit(dest_ip_, outport_, main);
    }
    for (const auto& [ip, port] : subscribers_) {
        emit(ip, port, subs);
    }
}

} // namespace tutti::osc
