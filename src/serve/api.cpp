// SPDX-License-Identifier: MIT
// The API's request parser (api.h): routes, arguments, the token.
#include "serve/api.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "http/json_scan.h"
#include "http/request_handler.h"

namespace tutti::serve {

namespace {

using Result = std::variant<Call, ApiError>;

ApiError error(int status, std::string message) {
    return ApiError{status, std::move(message)};
}

bool is_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool valid_key(std::string_view s) {
    return s.size() >= 16 && s.size() <= 128 && is_hex(s);
}
bool valid_id(std::string_view s) {
    return s.size() == 32 && is_hex(s);
}

/// The value of `name` in a query string ("a=1&b=2"), percent-decoded; nullopt
/// when absent; *bad set on a bad escape.
std::optional<std::string> query_value(std::string_view query, std::string_view name, bool* bad) {
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t amp = query.find('&', start);
        if (amp == std::string_view::npos) {
            amp = query.size();
        }
        std::string_view pair = query.substr(start, amp - start);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            auto v =
                http::percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
            if (!v) {
                *bad = true;
            }
            return v;
        }
        start = amp + 1;
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi) {
    if (s.empty() || s.size() > 12) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    if (v < lo || v > hi) {
        return std::nullopt;
    }
    return v;
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 1;
    while (start <= path.size() && parts.size() < 8) {
        std::size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            slash = path.size();
        }
        parts.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

/// The members of a JSON body, or an error.
std::variant<std::vector<http::JsonMember>, ApiError> json_body(std::string_view body,
                                                                const ApiLimits& limits) {
    if (body.size() > limits.max_json_body) {
        return error(413,
                     "the body is larger than " + std::to_string(limits.max_json_body) + " bytes");
    }
    auto members = http::json_object_members(body, 8);
    if (!members) {
        return error(400, "the body is not a JSON object");
    }
    return std::move(*members);
}

const http::JsonMember* member(const std::vector<http::JsonMember>& ms, std::string_view key) {
    for (const http::JsonMember& m : ms) {
        if (m.key == key) {
            return &m;
        }
    }
    return nullptr;
}

/// A JSON member that must be a string (when present).
std::variant<std::optional<std::string>, ApiError>
string_member(const std::vector<http::JsonMember>& ms, std::string_view key) {
    const http::JsonMember* m = member(ms, key);
    if (m == nullptr) {
        return std::optional<std::string>{};
    }
    auto s = http::json_string_value(m->value);
    if (!s) {
        return error(400, "\"" + std::string(key) + "\" must be a string");
    }
    return std::optional<std::string>(std::move(*s));
}

/// A JSON member that must be an integer in [lo, hi] (when present).
std::variant<std::optional<std::int64_t>, ApiError>
int_member(const std::vector<http::JsonMember>& ms, std::string_view key, std::int64_t lo,
           std::int64_t hi) {
    const http::JsonMember* m = member(ms, key);
    if (m == nullptr) {
        return std::optional<std::int64_t>{};
    }
    auto v = http::json_number_value(m->value);
    if (!v || *v != std::floor(*v) || *v < double(lo) || *v > double(hi)) {
        return error(400, "\"" + std::string(key) + "\" must be an integer from " +
                              std::to_string(lo) + " to " + std::to_string(hi));
    }
    return std::optional<std::int64_t>(std::int64_t(*v));
}

/// A double member in [lo, hi] (when present).
std::variant<std::optional<double>, ApiError>
number_member(const std::vector<http::JsonMember>& ms, std::string_view key, double lo, double hi) {
    const http::JsonMember* m = member(ms, key);
    if (m == nullptr) {
        return std::optional<double>{};
    }
    auto v = http::json_number_value(m->value);
    if (!v || *v < lo || *v > hi) {
        return error(400, "\"" + std::string(key) + "\" must be a number from " +
                              http::json_number(lo) + " to " + http::json_number(hi));
    }
    return std::optional<double>(*v);
}

/// POST .../start with a body: {"link":{...}} (api.h's LinkRequest).
Result start_body(std::string_view body, const ApiLimits& limits, Call call) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return call; // no body: the null driver
    }
    auto ms = json_body(body, limits);
    if (auto* e = std::get_if<ApiError>(&ms)) {
        return *e;
    }
    const http::JsonMember* link = member(std::get<std::vector<http::JsonMember>>(ms), "link");
    if (link == nullptr) {
        return error(400, "the body of start is {\"link\":{...}} (or empty)");
    }
    auto lm = http::json_object_members(link->value, 4);
    if (!lm) {
        return error(400, "\"link\" must be an object");
    }
    LinkRequest& r = call.link;
    r.on = true;
    auto master = string_member(*lm, "master");
    if (auto* e = std::get_if<ApiError>(&master)) {
        return *e;
    }
    if (auto& m = std::get<std::optional<std::string>>(master)) {
        if (m->empty() || m->size() > 64) {
            return error(400, "\"master\" must be A.B.C.D:PORT");
        }
        r.master = *m;
    }
    auto format = string_member(*lm, "format");
    if (auto* e = std::get_if<ApiError>(&format)) {
        return *e;
    }
    if (auto& f = std::get<std::optional<std::string>>(format)) {
        if (f->empty() || f->size() > 16) {
            return error(400, "\"format\" must be float, int16 or opus[:KBPS]");
        }
        r.format = *f;
    }
    struct IntField {
        const char* name;
        std::int64_t lo, hi;
        int* out;
    };
    for (IntField f : {IntField{"port", 1, 65535, &r.port}, IntField{"latency", 0, 30, &r.latency},
                       IntField{"period", 1, limits.max_block, &r.period},
                       IntField{"controls", 0, 16384, &r.controls}}) {
        auto v = int_member(*lm, f.name, f.lo, f.hi);
        if (auto* e = std::get_if<ApiError>(&v)) {
            return *e;
        }
        if (auto x = std::get<std::optional<std::int64_t>>(v)) {
            *f.out = int(*x);
        }
    }
    auto first = int_member(*lm, "first_cycle", 0, 0xFFFFFFFFll);
    if (auto* e = std::get_if<ApiError>(&first)) {
        return *e;
    }
    if (auto x = std::get<std::optional<std::int64_t>>(first)) {
        r.first_cycle = *x;
    }
    auto timeout = number_member(*lm, "timeout", 0.1, 30);
    if (auto* e = std::get_if<ApiError>(&timeout)) {
        return *e;
    }
    if (auto t = std::get<std::optional<double>>(timeout)) {
        r.timeout_s = *t;
    }
    if (r.master.empty() && r.port == 0) {
        return error(400, "the link needs \"port\" (at the request's address) or \"master\"");
    }
    return call;
}

Result factory_options(std::string_view query, Call call) {
    bool bad = false;
    if (auto b = query_value(query, "backend", &bad)) {
        if (*b == "interpreter") {
            call.options.interpreter = true;
        } else if (*b != "llvm") {
            return error(400, "backend must be llvm or interpreter");
        }
    }
    if (auto d = query_value(query, "double", &bad)) {
        if (*d != "0" && *d != "1") {
            return error(400, "double must be 0 or 1");
        }
        call.options.double_precision = *d == "1";
    }
    if (auto o = query_value(query, "opt", &bad)) {
        auto v = parse_int(*o, 0, 3);
        if (!v) {
            return error(400, "opt must be 0, 1, 2 or 3");
        }
        call.options.opt_level = int(*v);
    }
    if (auto m = query_value(query, "math", &bad)) {
        if (*m != "exact" && *m != "fast") {
            return error(400, "math must be exact or fast");
        }
        call.options.fast_math = *m == "fast";
    }
    if (auto v = query_value(query, "voices", &bad)) {
        auto n = parse_int(*v, 0, 256);
        if (!n) {
            return error(400, "voices must be 0 (as the program declares) to 256");
        }
        call.options.voices = int(*n);
    }
    if (bad) {
        return error(400, "bad escape in the query");
    }
    return call;
}

Result controls_call(std::string_view method, std::string_view query, std::string_view body,
                     const ApiLimits& limits, Call call) {
    if (method == "GET") {
        bool bad = false;
        auto path = query_value(query, "path", &bad);
        auto index = query_value(query, "index", &bad);
        if (bad) {
            return error(400, "bad escape in the query");
        }
        if (path && index) {
            return error(400, "give path or index, not both");
        }
        call.op = path || index ? Op::GetControl : Op::GetControls;
        if (path) {
            if (path->empty() || path->size() > 1024) {
                return error(400, "bad control path");
            }
            call.path = std::move(*path);
        }
        if (index) {
            auto v = parse_int(*index, 0, 1 << 24);
            if (!v) {
                return error(400, "index must be a number");
            }
            call.index = *v;
        }
        return call;
    }
    if (method != "PUT" && method != "POST") {
        return error(405, "controls: GET or PUT");
    }
    auto ms = json_body(body, limits);
    if (auto* e = std::get_if<ApiError>(&ms)) {
        return *e;
    }
    const auto& members = std::get<std::vector<http::JsonMember>>(ms);
    auto path = string_member(members, "path");
    if (auto* e = std::get_if<ApiError>(&path)) {
        return *e;
    }
    auto index = int_member(members, "index", 0, 1 << 24);
    if (auto* e = std::get_if<ApiError>(&index)) {
        return *e;
    }
    const auto& p = std::get<std::optional<std::string>>(path);
    const auto& i = std::get<std::optional<std::int64_t>>(index);
    if (p.has_value() == i.has_value()) {
        return error(400, "give \"path\" or \"index\" (one of them)");
    }
    const http::JsonMember* v = member(members, "value");
    std::optional<double> value = v != nullptr ? http::json_number_value(v->value) : std::nullopt;
    if (!value) {
        return error(400, "\"value\" must be a finite number");
    }
    call.op = Op::SetControl;
    if (p) {
        if (p->empty() || p->size() > 1024) {
            return error(400, "bad control path");
        }
        call.path = *p;
    } else {
        call.index = *i;
    }
    call.value = *value;
    return call;
}

Result factory_key_body(std::string_view body, const ApiLimits& limits, Call call) {
    auto ms = json_body(body, limits);
    if (auto* e = std::get_if<ApiError>(&ms)) {
        return *e;
    }
    const auto& members = std::get<std::vector<http::JsonMember>>(ms);
    auto key = string_member(members, "factory");
    if (auto* e = std::get_if<ApiError>(&key)) {
        return *e;
    }
    const auto& k = std::get<std::optional<std::string>>(key);
    if (!k || !valid_key(*k)) {
        return error(400, "\"factory\" must be a factory key (hex digits)");
    }
    call.key = *k;
    if (call.op == Op::CreateInstance) {
        auto rate = int_member(members, "sample_rate", 8000, limits.max_sample_rate);
        if (auto* e = std::get_if<ApiError>(&rate)) {
            return *e;
        }
        auto block = int_member(members, "block", 1, limits.max_block);
        if (auto* e = std::get_if<ApiError>(&block)) {
            return *e;
        }
        if (auto r = std::get<std::optional<std::int64_t>>(rate)) {
            call.sample_rate = int(*r);
        }
        if (auto b = std::get<std::optional<std::int64_t>>(block)) {
            call.block = int(*b);
        }
    }
    return call;
}

bool authorised(std::string_view query, const ApiAccess& access) {
    if (!access.token_required) {
        return true;
    }
    std::string_view h = access.given_header;
    constexpr std::string_view bearer = "Bearer ";
    if (h.substr(0, bearer.size()) == bearer &&
        http::token_matches(h.substr(bearer.size()), access.token)) {
        return true;
    }
    bool bad = false;
    auto t = query_value(query, "token", &bad);
    return t && http::token_matches(*t, access.token);
}

} // namespace

const char* to_string(Op op) {
    switch (op) {
    case Op::Health:
        return "health";
    case Op::ListFactories:
        return "list-factories";
    case Op::CreateFactory:
        return "create-factory";
    case Op::CreateMachineCode:
        return "create-machine-code";
    case Op::GetFactory:
        return "get-factory";
    case Op::GetFactoryInfo:
        return "get-factory-info";
    case Op::DeleteFactory:
        return "delete-factory";
    case Op::ListInstances:
        return "list-instances";
    case Op::CreateInstance:
        return "create-instance";
    case Op::GetInstance:
        return "get-instance";
    case Op::DeleteInstance:
        return "delete-instance";
    case Op::StartInstance:
        return "start-instance";
    case Op::StopInstance:
        return "stop-instance";
    case Op::SwapInstance:
        return "swap-instance";
    case Op::GetControls:
        return "get-controls";
    case Op::GetControl:
        return "get-control";
    case Op::SetControl:
        return "set-control";
    case Op::ResetControls:
        return "reset-controls";
    case Op::InstanceSocket:
        return "instance-socket";
    case Op::Render:
        return "render";
    case Op::GetState:
        return "get-state";
    case Op::PutState:
        return "put-state";
    case Op::ProcessBlock:
        return "process-block";
    case Op::Note:
        return "note";
    }
    return "?";
}

std::string to_string(const FactoryOptions& o) {
    return std::string("backend=") + (o.interpreter ? "interpreter" : "llvm") +
           "&double=" + (o.double_precision ? "1" : "0") + "&opt=" + std::to_string(o.opt_level) +
           "&math=" + (o.fast_math ? "fast" : "exact") +
           (o.voices >= 0 ? "&voices=" + std::to_string(o.voices) : std::string());
}

namespace {

/// One "<tag> <n>\n<n bytes>\n" record at `at`; advances it.
std::optional<std::string_view> render_record(std::string_view body, std::size_t& at,
                                              std::string_view tag) {
    std::string_view rest = body.substr(at);
    if (rest.substr(0, tag.size()) != tag || rest.size() <= tag.size() || rest[tag.size()] != ' ') {
        return std::nullopt;
    }
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos || nl > tag.size() + 12) {
        return std::nullopt;
    }
    auto n = parse_int(rest.substr(tag.size() + 1, nl - tag.size() - 1), 0, std::int64_t(1) << 40);
    if (!n || std::uint64_t(*n) + 1 > rest.size() - nl - 1 ||
        rest[nl + 1 + std::size_t(*n)] != '\n') {
        return std::nullopt;
    }
    at += nl + 1 + std::size_t(*n) + 1;
    return rest.substr(nl + 1, std::size_t(*n));
}

std::optional<double> parse_real(std::string_view s) {
    if (s.empty() || s.size() > 32) {
        return std::nullopt;
    }
    std::string t(s);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

} // namespace

std::variant<RenderBody, ApiError> parse_render_body(std::string_view body,
                                                     const ApiLimits& limits) {
    constexpr std::string_view magic = "tutti-render 1\n";
    if (body.substr(0, magic.size()) != magic) {
        return error(400, "render: the body is not a render request (tutti-render 1)");
    }
    std::size_t at = magic.size();
    RenderBody out;
    auto options = render_record(body, at, "options");
    if (!options) {
        return error(400, "render: no options record");
    }
    auto program = render_record(body, at, "program");
    if (!program) {
        return error(400, "render: no program record");
    }
    out.bundle = *program;
    if (at < body.size()) {
        auto input = render_record(body, at, "input");
        if (!input || at != body.size()) {
            return error(400, "render: bytes after the program that are not an input record");
        }
        out.input = *input;
    }
    RenderRequest& r = out.request;
    bool have_frames = false;
    std::string_view text = *options;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty()) {
            continue;
        }
        const std::size_t sp = line.find(' ');
        const std::string_view name = line.substr(0, sp);
        const std::string_view value =
            sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
        auto integer = [&](std::int64_t lo, std::int64_t hi) -> std::optional<std::int64_t> {
            if (!value.empty() && value[0] == '-' && lo < 0) {
                auto v = parse_int(value.substr(1), 0, -lo);
                return v ? std::optional<std::int64_t>(-*v) : std::nullopt;
            }
            return parse_int(value, lo, hi);
        };
        auto bad = [&](std::string_view what) {
            return error(400, "render: " + std::string(name) + " must be " + std::string(what));
        };
        if (name == "frames") {
            auto v = integer(0, limits.max_render_frames);
            if (!v) {
                return bad("a number of frames from 0 to " +
                           std::to_string(limits.max_render_frames));
            }
            r.frames = long(*v);
            have_frames = true;
        } else if (name == "sample_rate") {
            auto v = integer(1, limits.max_sample_rate);
            if (!v) {
                return bad("from 1 to " + std::to_string(limits.max_sample_rate));
            }
            r.sample_rate = int(*v);
        } else if (name == "block") {
            auto v = integer(1, limits.max_block);
            if (!v) {
                return bad("from 1 to " + std::to_string(limits.max_block));
            }
            r.block = int(*v);
        } else if (name == "input") {
            if (value != "impulse" && value != "silence" && value != "noise" && value != "mix" &&
                value != "file") {
                return bad("impulse, silence, noise, mix or file");
            }
            r.input = std::string(value);
        } else if (name == "input_channels") {
            auto v = integer(1, 1024);
            if (!v) {
                return bad("from 1 to 1024");
            }
            r.input_channels = int(*v);
        } else if (name == "input_frames") {
            auto v = integer(0, limits.max_render_frames);
            if (!v) {
                return bad("a number of frames");
            }
            r.input_frames = long(*v);
        } else if (name == "press_buttons") {
            auto v = integer(-1, std::int64_t(1) << 40);
            if (!v) {
                return bad("a frame (or -1)");
            }
            r.press_buttons = long(*v);
        } else if (name == "crossfade_ms") {
            auto v = parse_real(value);
            if (!v || *v < 0 || *v > 10000) {
                return bad("from 0 to 10000");
            }
            r.crossfade_ms = *v;
        } else if (name == "quiet") {
            if (value != "0" && value != "1") {
                return bad("0 or 1");
            }
            r.quiet = value == "1";
        } else if (name == "set" || name == "set_at") {
            if (value.empty() || value.size() > 1024) {
                return bad("an assignment of at most 1024 bytes");
            }
            if (r.sets.size() + r.set_at.size() >= limits.max_render_events) {
                return error(400, "render: more than " + std::to_string(limits.max_render_events) +
                                      " --set and --set-at");
            }
            (name == "set" ? r.sets : r.set_at).emplace_back(value);
        } else {
            return error(400, "render: unknown option '" + std::string(name.substr(0, 64)) + "'");
        }
    }
    if (!have_frames) {
        return error(400, "render: the options need frames");
    }
    if (r.input == "file") {
        if (r.input_channels <= 0 || r.input_frames > r.frames ||
            out.input.size() != std::size_t(r.input_channels) * std::size_t(r.input_frames) * 8) {
            return error(400, "render: the input record must hold input_channels x input_frames "
                              "doubles (input_frames at most frames)");
        }
    } else if (!out.input.empty()) {
        return error(400, "render: an input record only goes with input file");
    }
    return out;
}

std::string encode_render_body(const RenderRequest& r, std::string_view bundle,
                               std::string_view input) {
    std::string o;
    auto line = [&](std::string_view name, const std::string& value) {
        o += std::string(name) + " " + value + "\n";
    };
    line("frames", std::to_string(r.frames));
    line("sample_rate", std::to_string(r.sample_rate));
    line("block", std::to_string(r.block));
    line("input", r.input);
    if (r.input == "file") {
        line("input_channels", std::to_string(r.input_channels));
        line("input_frames", std::to_string(r.input_frames));
    }
    line("press_buttons", std::to_string(r.press_buttons));
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", r.crossfade_ms);
    line("crossfade_ms", buf);
    line("quiet", r.quiet ? "1" : "0");
    for (const std::string& s : r.sets) {
        line("set", s);
    }
    for (const std::string& s : r.set_at) {
        line("set_at", s);
    }
    std::string out = "tutti-render 1\n";
    auto record = [&](std::string_view tag, std::string_view bytes) {
        out += std::string(tag) + " " + std::to_string(bytes.size()) + "\n";
        out += bytes;
        out += "\n";
    };
    record("options", o);
    record("program", bundle);
    if (!input.empty() || r.input == "file") {
        record("input", input);
    }
    return out;
}

std::string error_json(std::string_view message) {
    return "{\"error\":" + http::json_quote(message) + "}";
}

std::variant<Call, ApiError> parse_call(std::string_view method, std::string_view target,
                                        std::string_view body, const ApiAccess& access,
                                        const ApiLimits& limits) {
    if (target.empty() || target.front() != '/' || target.size() > 4096) {
        return error(400, "bad request target");
    }
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (!authorised(query, access)) {
        return error(401, "this server needs its token (Authorization: Bearer TOKEN)");
    }
    std::vector<std::string_view> parts = split_path(path);
    if (parts.empty() || parts[0] != "v1") {
        return error(404, "no such resource (the API is under /v1)");
    }
    parts.erase(parts.begin());
    if (!parts.empty() && parts.back().empty()) {
        parts.pop_back(); // a trailing slash
    }
    const bool get = method == "GET" || method == "HEAD";
    Call call;
    auto wrong_method = [&](std::string_view allowed) {
        return error(405, "method not allowed here (" + std::string(allowed) + ")");
    };
    if (parts.size() == 1 && parts[0] == "health") {
        if (!get) {
            return wrong_method("GET");
        }
        call.op = Op::Health;
        return call;
    }
    if (!parts.empty() && parts[0] == "factories") {
        if (parts.size() == 1) {
            if (get) {
                call.op = Op::ListFactories;
                return call;
            }
            if (method != "POST") {
                return wrong_method("GET, POST");
            }
            if (body.size() > limits.max_bundle) {
                return error(413, "the bundle is larger than " + std::to_string(limits.max_bundle) +
                                      " bytes");
            }
            call.op = Op::CreateFactory;
            call.bundle = body;
            return factory_options(query, std::move(call));
        }
        if (!valid_key(parts[1])) {
            return error(404, "no such factory (a key is 16 to 128 hex digits)");
        }
        call.key = std::string(parts[1]);
        if (parts.size() == 2) {
            if (get) {
                call.op = Op::GetFactory;
            } else if (method == "DELETE") {
                call.op = Op::DeleteFactory;
            } else {
                return wrong_method("GET, DELETE");
            }
            return call;
        }
        if (parts.size() == 3 && parts[2] == "info") {
            if (!get) {
                return wrong_method("GET");
            }
            call.op = Op::GetFactoryInfo;
            return call;
        }
        return error(404, "no such resource");
    }
    if (parts.size() == 1 && parts[0] == "machine_code") {
        if (method != "POST") {
            return wrong_method("POST");
        }
        if (body.size() > limits.max_bundle) {
            return error(413, "the bundle is larger than " + std::to_string(limits.max_bundle) +
                                  " bytes");
        }
        call.op = Op::CreateMachineCode;
        call.bundle = body;
        bool bad = false;
        auto word = [&](std::string_view name, std::string* out) {
            auto v = query_value(query, name, &bad);
            if (!v) {
                return true;
            }
            if (v->size() > 4096) {
                return false;
            }
            for (char ch : *v) {
                if (!(std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-' ||
                      ch == '.' || ch == ',' || ch == '+')) {
                    return false;
                }
            }
            *out = std::move(*v);
            return true;
        };
        if (!word("triple", &call.triple) || !word("cpu", &call.cpu) ||
            !word("features", &call.features) || bad) {
            return error(400, "triple, cpu and features are LLVM's names: letters, digits, "
                              "'_-.,+'");
        }
        if (call.triple.empty() != call.cpu.empty()) {
            return error(400, "give triple and cpu together (or neither: the server's CPU)");
        }
        return factory_options(query, std::move(call));
    }
    if (parts.size() == 1 && parts[0] == "render") {
        if (method != "POST") {
            return wrong_method("POST");
        }
        if (body.size() > limits.max_bundle) {
            return error(413, "the request is larger than " + std::to_string(limits.max_bundle) +
                                  " bytes");
        }
        auto parsed = parse_render_body(body, limits);
        if (auto* e = std::get_if<ApiError>(&parsed)) {
            return *e;
        }
        call.op = Op::Render;
        call.bundle = body;
        return factory_options(query, std::move(call));
    }
    if (!parts.empty() && parts[0] == "instances") {
        if (parts.size() == 1) {
            if (get) {
                call.op = Op::ListInstances;
                return call;
            }
            if (method != "POST") {
                return wrong_method("GET, POST");
            }
            call.op = Op::CreateInstance;
            return factory_key_body(body, limits, std::move(call));
        }
        if (!valid_id(parts[1])) {
            return error(404, "no such instance (an id is 32 hex digits)");
        }
        call.id = std::string(parts[1]);
        if (parts.size() == 2) {
            if (get) {
                call.op = Op::GetInstance;
            } else if (method == "DELETE") {
                call.op = Op::DeleteInstance;
            } else {
                return wrong_method("GET, DELETE");
            }
            return call;
        }
        if (parts.size() != 3) {
            return error(404, "no such resource");
        }
        const std::string_view what = parts[2];
        if (what == "start" || what == "stop" || what == "reset_controls") {
            if (method != "POST") {
                return wrong_method("POST");
            }
            call.op = what == "start"  ? Op::StartInstance
                      : what == "stop" ? Op::StopInstance
                                       : Op::ResetControls;
            if (call.op == Op::StartInstance) {
                return start_body(body, limits, std::move(call));
            }
            return call;
        }
        if (what == "factory") {
            if (method != "PUT" && method != "POST") {
                return wrong_method("PUT");
            }
            call.op = Op::SwapInstance;
            return factory_key_body(body, limits, std::move(call));
        }
        if (what == "controls") {
            return controls_call(method, query, body, limits, std::move(call));
        }
        if (what == "state") {
            if (get) {
                call.op = Op::GetState;
                return call;
            }
            if (method != "PUT") {
                return wrong_method("GET, PUT");
            }
            if (body.size() > limits.max_bundle) {
                return error(413, "the state is larger than " + std::to_string(limits.max_bundle) +
                                      " bytes");
            }
            if (body.empty()) {
                return error(400, "the body is a state image (GET .../state gives one)");
            }
            bool bad = false;
            if (auto p = query_value(query, "partial", &bad)) {
                if (*p != "0" && *p != "1") {
                    return error(400, "partial must be 0 or 1");
                }
                call.partial = *p == "1";
            }
            if (bad) {
                return error(400, "bad escape in the query");
            }
            call.op = Op::PutState;
            call.payload = body;
            return call;
        }
        if (what == "process") {
            if (method != "POST") {
                return wrong_method("POST");
            }
            bool bad = false;
            auto f = query_value(query, "frames", &bad);
            auto v = f ? parse_int(*f, 1, limits.max_block) : std::nullopt;
            if (!v || bad) {
                return error(400, "frames=N is required, 1 to " + std::to_string(limits.max_block));
            }
            auto k = query_value(query, "blocks", &bad);
            auto kv = k ? parse_int(*k, 1, 256) : std::optional<std::int64_t>(1);
            if (!kv || bad) {
                return error(400, "blocks=K is 1 to 256");
            }
            if (body.size() > limits.max_bundle) {
                return error(413, "the block is larger than " + std::to_string(limits.max_bundle) +
                                      " bytes");
            }
            call.op = Op::ProcessBlock;
            call.frames = int(*v);
            call.blocks = int(*kv);
            call.payload = body;
            return call;
        }
        if (what == "note") {
            // a note for a polyphonic program (its voices: runtime/poly_factory.h)
            if (method != "POST") {
                return wrong_method("POST");
            }
            bool bad = false;
            const auto type = query_value(query, "type", &bad);
            if (!type || (*type != "on" && *type != "off" && *type != "alloff")) {
                return error(400, "type=on|off|alloff is required");
            }
            call.note.type = *type == "on"    ? NoteEvent::Type::On
                             : *type == "off" ? NoteEvent::Type::Off
                                              : NoteEvent::Type::AllOff;
            struct Field {
                const char* name;
                std::int64_t hi;
                std::uint8_t* out;
            };
            for (Field f :
                 {Field{"key", 127, &call.note.key}, Field{"velocity", 127, &call.note.velocity},
                  Field{"channel", 15, &call.note.channel}}) {
                if (auto t = query_value(query, f.name, &bad)) {
                    auto v = parse_int(*t, 0, f.hi);
                    if (!v) {
                        return error(400,
                                     std::string(f.name) + " must be 0.." + std::to_string(f.hi));
                    }
                    *f.out = std::uint8_t(*v);
                }
            }
            if (bad) {
                return error(400, "bad escape in the query");
            }
            call.op = Op::Note;
            return call;
        }
        if (what == "ws") {
            if (method != "GET") {
                return wrong_method("GET");
            }
            call.op = Op::InstanceSocket;
            call.ws_query = std::string(query);
            return call;
        }
        return error(404, "no such resource");
    }
    return error(404, "no such resource");
}

} // namespace tutti::serve
