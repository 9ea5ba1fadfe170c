// SPDX-License-Identifier: MIT
#include "runtime/sound_files.h"

#include <sndfile.h>

#include <algorithm>
#include <filesystem>

namespace tutti::runtime {

namespace {

constexpr std::int32_t silent_frames = 1024; // the reference's BUFFER_SIZE
constexpr std::int32_t silent_rate = 44100;  // its SAMPLE_RATE
constexpr std::int32_t shared_channels = 64; // its MAX_CHAN

struct Opened {
    SNDFILE* file = nullptr;
    SF_INFO info{};
};

Opened open_sound(const std::string& path, std::string* error) {
    Opened o;
    o.file = sf_open(path.c_str(), SFM_READ, &o.info);
    if (o.file == nullptr && error != nullptr) {
        *error = sf_strerror(nullptr);
    }
    return o;
}

/// The path the reference would read: as written, then in each folder.
std::string find_sound(const std::string& name, const std::vector<std::string>& dirs,
                       std::string* error) {
    std::vector<std::string> tries{name};
    for (const std::string& d : dirs) {
        tries.emplace_back(d).append("/").append(name);
    }
    for (const std::string& p : tries) {
        std::string e;
        Opened o = open_sound(p, &e);
        if (o.file != nullptr) {
            sf_close(o.file);
            return p;
        }
        // the reason worth telling: why a file that is there could not be read,
        // else why the first place tried failed
        std::error_code ec;
        if (error->empty() || std::filesystem::is_regular_file(p, ec)) {
            *error = e;
        }
    }
    return {};
}

bool skip_spaces(const std::string& s, std::size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        ++i;
    }
    return i < s.size();
}

} // namespace

std::vector<std::string> split_sound_url(const std::string& url, bool* ok) {
    // '{' then 'name' (';' 'name')* then '}', spaces allowed between tokens
    std::vector<std::string> names;
    std::size_t i = 0;
    *ok = false;
    if (!skip_spaces(url, i) || url[i] != '{') {
        return {url};
    }
    ++i;
    for (;;) {
        if (!skip_spaces(url, i) || url[i] != '\'') {
            return {url};
        }
        std::size_t end = url.find('\'', i + 1);
        if (end == std::string::npos) {
            return {url};
        }
        names.push_back(url.substr(i + 1, end - i - 1));
        i = end + 1;
        if (!skip_spaces(url, i)) {
            return {url};
        }
        if (url[i] == ';') {
            ++i;
            continue;
        }
        if (url[i] == '}') {
            *ok = true;
            return names;
        }
        return {url};
    }
}

namespace {

SoundLoad build_sound(std::vector<std::string> names, const std::vector<std::string>& search_dirs,
                      bool double_samples, std::int32_t channels) {
    SoundLoad r;
    if (names.size() > std::size_t(ir::sound_parts)) {
        names.resize(std::size_t(ir::sound_parts));
    }
    // which files load, and the size of the whole
    std::vector<std::string> paths;
    std::vector<SF_INFO> infos;
    std::int32_t widest = 1;
    std::int64_t total = 0;
    for (const std::string& n : names) {
        std::string error;
        std::string p = find_sound(n, search_dirs, &error);
        SF_INFO info{};
        if (!p.empty()) {
            Opened o = open_sound(p, nullptr);
            info = o.info;
            sf_close(o.file);
            widest = std::max(widest, std::int32_t(info.channels));
            total += info.frames;
        } else {
            r.problems.push_back({SoundProblem::Kind::NotLoaded, n, error});
            total += silent_frames;
        }
        paths.push_back(p);
        infos.push_back(info);
    }
    total += std::int64_t(ir::sound_parts - std::int32_t(names.size())) * silent_frames;

    auto s = std::make_shared<LoadedSound>();
    s->info.assign(std::size_t(3) * ir::sound_parts, 0);
    // one frame more than the parts hold: a part of 0 frames still reads inside
    const std::size_t frames = std::size_t(total) + 1;
    if (double_samples) {
        s->doubles.assign(std::size_t(widest), std::vector<double>(frames, 0.0));
    } else {
        s->floats.assign(std::size_t(widest), std::vector<float>(frames, 0.0f));
    }
    std::int64_t offset = 0;
    for (std::int32_t part = 0; part < ir::sound_parts; ++part) {
        std::int32_t length = silent_frames, rate = silent_rate;
        if (std::size_t(part) < paths.size() && !paths[std::size_t(part)].empty()) {
            Opened o = open_sound(paths[std::size_t(part)], nullptr);
            const SF_INFO& info = o.info;
            length = std::int32_t(info.frames);
            rate = info.samplerate;
            if (o.file != nullptr) {
                const std::int32_t nch = info.channels;
                std::vector<double> dbuf;
                std::vector<float> fbuf;
                (double_samples ? dbuf.resize(std::size_t(nch) * 1024)
                                : fbuf.resize(std::size_t(nch) * 1024));
                std::int64_t at = offset;
                for (;;) {
                    sf_count_t got = double_samples ? sf_readf_double(o.file, dbuf.data(), 1024)
                                                    : sf_readf_float(o.file, fbuf.data(), 1024);
                    for (sf_count_t k = 0; k < got && at + k < std::int64_t(frames); ++k) {
                        for (std::int32_t c = 0; c < nch; ++c) {
                            std::size_t src = std::size_t(k) * std::size_t(nch) + std::size_t(c);
                            if (double_samples) {
                                s->doubles[std::size_t(c)][std::size_t(at + k)] = dbuf[src];
                            } else {
                                s->floats[std::size_t(c)][std::size_t(at + k)] = fbuf[src];
                            }
                        }
                    }
                    at += got;
                    if (got < 1024) {
                        break;
                    }
                }
                sf_close(o.file);
            }
        }
        s->info[std::size_t(part)] = length;
        s->info[std::size_t(ir::sound_parts) + std::size_t(part)] = rate;
        s->info[std::size_t(2) * ir::sound_parts + std::size_t(part)] = std::int32_t(offset);
        offset += length;
    }
    const std::int32_t pointers = std::max({shared_channels, channels, widest});
    for (std::int32_t c = 0; c < pointers; ++c) {
        std::size_t real = std::size_t(c % widest);
        s->channel_pointers.push_back(double_samples
                                          ? static_cast<const void*>(s->doubles[real].data())
                                          : static_cast<const void*>(s->floats[real].data()));
    }
    s->data.info = s->info.data();
    s->data.buffers = s->channel_pointers.data();
    s->data.channels = widest;
    r.sound = std::move(s);
    return r;
}

} // namespace

SoundLoad load_sound(const std::string& url, const std::vector<std::string>& search_dirs,
                     bool double_samples, std::int32_t channels) {
    bool list = false;
    std::vector<std::string> names = split_sound_url(url, &list);
    SoundLoad r = build_sound(std::move(names), search_dirs, double_samples, channels);
    if (!list) {
        r.problems.insert(r.problems.begin(), {SoundProblem::Kind::BadUrl, url, {}});
    }
    return r;
}

std::shared_ptr<const LoadedSound> silent_sound(bool double_samples, std::int32_t channels) {
    return build_sound({}, {}, double_samples, channels).sound;
}

} // namespace tutti::runtime
