// SPDX-License-Identifier: MIT
/** \file
 * `tutti render --on HOST[:PORT]` (issue 13): the program and every file it
 * reads go to a compile server as a bundle with the render's options and, for
 * an input file, its samples as libsndfile read them here; the server compiles
 * it (its pool, limits and cache) and renders it with the same code as a local
 * render (render_compiled, which `tutti serve` hands its service:
 * render_for_server); the samples come back and are written here by the same
 * writer, so the output is the local render's, byte for byte. The server's
 * diagnostics are shown with the file names of this machine.
 */
#include "apps/tutti/render_on.h"

#include <cstring>
#include <iostream>
#include <sstream>

#include "apps/tutti/render.h"
#include "http/json_scan.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/api.h"
#include "tutti/runtime.h"

namespace tutti::app {

namespace {

/// The options of a render request from a render's.
serve::RenderRequest request_of(const RenderArgs& a, long frames) {
    serve::RenderRequest r;
    r.frames = frames;
    r.sample_rate = a.sample_rate;
    r.block = a.block;
    r.input = is_generated_input(a.input) ? a.input : "file";
    r.press_buttons = a.press_buttons;
    r.crossfade_ms = a.crossfade_ms;
    r.quiet = a.quiet;
    r.sets = a.sets;
    r.set_at = a.set_at;
    return r;
}

/// The server's diagnostics with this machine's file names, printed as a
/// local render prints them.
void print_remote_diagnostics(std::vector<Diagnostic> diags, const remote::Bundle& bundle) {
    for (Diagnostic& d : diags) {
        for (std::size_t i = 0; i < bundle.files.size() && i < bundle.origins.size(); ++i) {
            if (d.file == bundle.files[i].name) {
                d.file = bundle.origins[i];
                break;
            }
        }
        std::cerr << to_text(d);
    }
}

std::optional<std::string> member_string(const std::vector<http::JsonMember>& ms,
                                         std::string_view key) {
    for (const http::JsonMember& m : ms) {
        if (m.key == key) {
            return http::json_string_value(m.value);
        }
    }
    return std::nullopt;
}
std::optional<double> member_number(const std::vector<http::JsonMember>& ms, std::string_view key) {
    for (const http::JsonMember& m : ms) {
        if (m.key == key) {
            return http::json_number_value(m.value);
        }
    }
    return std::nullopt;
}

} // namespace

int run_render_on(const RenderArgs& a) {
    std::optional<remote::Endpoint> server = remote::parse_endpoint(a.on);
    if (!server) {
        std::cerr << "tutti render: --on takes HOST[:PORT] or https://HOST[:PORT], not '" << a.on
                  << "'\n";
        return 2;
    }
    server->token = a.token;
    if (!a.tls_ca.empty()) {
        server->tls = true;
        server->tls_ca = a.tls_ca;
    }
    server->timeout = std::chrono::milliseconds(300000);
    if (!a.swaps.empty()) {
        std::cerr << "tutti render: --swap-at is not available with --on (render the swap "
                     "locally)\n";
        return 2;
    }
    if (a.math != "exact" && a.math != "fast") {
        std::cerr << "tutti render: --math is exact or fast\n";
        return 2;
    }
    const long frames = render_frames(a);
    if (frames < 0) {
        std::cerr << "tutti render: the length must not be negative\n";
        return 2;
    }
    std::string error;
    std::optional<remote::Bundle> bundle =
        remote::expand_program(a.program, a.include_dirs, &error);
    if (!bundle) {
        std::cerr << "tutti render: " << error << "\n";
        return 1;
    }
    serve::RenderRequest request = request_of(a, frames);
    std::string input;
    if (request.input == "file") {
        RenderInputFile file;
        if (read_render_input(a.input, frames, file, std::cerr) != 0) {
            return 2;
        }
        request.input_channels = file.channels;
        request.input_frames = file.frames;
        input.resize(file.samples.size() * sizeof(double));
        if (!input.empty()) {
            std::memcpy(input.data(), file.samples.data(), input.size());
        }
    }
    const std::string target = std::string("/v1/render?backend=") +
                               (a.backend == "interp" ? "interpreter" : "llvm") +
                               "&double=" + (a.double_precision ? "1" : "0") +
                               "&opt=" + std::to_string(a.opt_level) + "&math=" + a.math;
    remote::Response r;
    try {
        remote::Client client(*server);
        r = client.request(
            "POST", target,
            serve::encode_render_body(request, remote::encode_bundle(*bundle), input),
            "application/x-tutti-render-request");
    } catch (const remote::RemoteError& e) {
        std::cerr << "tutti render: " << e.what() << "\n";
        return 2;
    }
    const std::string where = server->host + ":" + std::to_string(server->port);
    if (r.status == 422) {
        auto ms = http::json_object_members(r.body, 64);
        print_remote_diagnostics(remote::parse_diagnostics(r.body), *bundle);
        if (ms) {
            if (auto log = member_string(*ms, "log")) {
                std::cerr << *log;
            }
            if (auto exit = member_number(*ms, "exit")) {
                return int(*exit);
            }
        }
        return 1;
    }
    if (r.status != 200) {
        std::string message = r.body.substr(0, 300);
        if (auto ms = http::json_object_members(r.body, 8)) {
            message = member_string(*ms, "error").value_or(message);
        }
        std::cerr << "tutti render: server " << where << ": " << r.status << ": " << message
                  << "\n";
        return 2;
    }
    // "tutti-rendered 1\n<n>\n<n bytes of JSON>\n<samples>"
    constexpr std::string_view magic = "tutti-rendered 1\n";
    std::string_view body = r.body;
    auto bad_answer = [&] {
        std::cerr << "tutti render: server " << where << ": the answer is not a render\n";
        return 2;
    };
    if (body.substr(0, magic.size()) != magic) {
        return bad_answer();
    }
    body.remove_prefix(magic.size());
    const std::size_t nl = body.find('\n');
    if (nl == std::string_view::npos || nl > 12) {
        return bad_answer();
    }
    const std::size_t head_size =
        std::strtoull(std::string(body.substr(0, nl)).c_str(), nullptr, 10);
    body.remove_prefix(nl + 1);
    if (head_size + 1 > body.size() || body[head_size] != '\n') {
        return bad_answer();
    }
    auto head = http::json_object_members(body.substr(0, head_size), 64);
    const std::string_view samples = body.substr(head_size + 1);
    if (!head) {
        return bad_answer();
    }
    print_remote_diagnostics(remote::parse_diagnostics(body.substr(0, head_size)), *bundle);
    if (auto log = member_string(*head, "log")) {
        std::cerr << *log;
    }
    RenderedAudio audio;
    audio.inputs = int(member_number(*head, "inputs").value_or(-1));
    audio.outputs = int(member_number(*head, "outputs").value_or(-1));
    audio.frames = long(member_number(*head, "frames").value_or(-1));
    audio.double_precision = a.double_precision;
    const std::size_t sample = a.double_precision ? sizeof(double) : sizeof(float);
    if (audio.inputs < 0 || audio.outputs < 0 || audio.frames != frames ||
        samples.size() != std::size_t(audio.outputs) * std::size_t(frames) * sample) {
        return bad_answer();
    }
    for (int c = 0; c < audio.outputs; ++c) {
        const char* from = samples.data() + std::size_t(c) * std::size_t(frames) * sample;
        if (a.double_precision) {
            audio.d.emplace_back(std::size_t(frames));
            std::memcpy(audio.d.back().data(), from, std::size_t(frames) * sample);
        } else {
            audio.f.emplace_back(std::size_t(frames));
            std::memcpy(audio.f.back().data(), from, std::size_t(frames) * sample);
        }
    }
    return write_rendered(a, audio, std::cerr);
}

serve::RenderResult render_for_server(const serve::RenderJob& job) {
    const serve::RenderRequest& q = *job.request;
    RenderArgs a;
    a.program = job.program->name();
    a.frames = q.frames;
    a.sample_rate = q.sample_rate;
    a.block = q.block;
    a.input = q.input;
    a.double_precision = job.options.double_precision;
    a.press_buttons = q.press_buttons;
    a.sets = q.sets;
    a.set_at = q.set_at;
    a.crossfade_ms = q.crossfade_ms;
    a.quiet = q.quiet;
    RenderInputFile file;
    if (q.input == "file") {
        file.channels = q.input_channels;
        file.frames = q.input_frames;
        file.samples.resize(job.input.size() / sizeof(double));
        if (!job.input.empty()) {
            std::memcpy(file.samples.data(), job.input.data(), job.input.size());
        }
    }
    std::ostringstream err;
    RenderedAudio audio;
    serve::RenderResult out;
    out.exit = render_compiled(a, job.program, &file, audio, err, job.max_seconds);
    out.log = err.str();
    if (out.exit != 0) {
        return out;
    }
    out.inputs = audio.inputs;
    out.outputs = audio.outputs;
    out.frames = audio.frames;
    out.double_precision = audio.double_precision;
    const std::size_t sample = a.double_precision ? sizeof(double) : sizeof(float);
    out.samples.resize(std::size_t(audio.outputs) * std::size_t(audio.frames) * sample);
    for (int c = 0; c < audio.outputs; ++c) {
        const void* from = a.double_precision
                               ? static_cast<const void*>(audio.d[std::size_t(c)].data())
                               : static_cast<const void*>(audio.f[std::size_t(c)].data());
        if (audio.frames > 0) {
            std::memcpy(out.samples.data() + std::size_t(c) * std::size_t(audio.frames) * sample,
                        from, std::size_t(audio.frames) * sample);
        }
    }
    return out;
}

} // namespace tutti::app
