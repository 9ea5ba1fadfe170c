// SPDX-License-Identifier: MIT
/** \file Polyphonic programs (see poly_factory.h). */
#include "runtime/poly_factory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>
#include <vector>

#include "support/content_hash.h"

namespace tutti::runtime {

namespace {

// Faust's poly-dsp.h (2.54)
constexpr std::int32_t kActiveVoice = 0;
constexpr std::int32_t kFreeVoice = -1;
constexpr std::int32_t kReleaseVoice = -2;
constexpr std::int32_t kLegatoVoice = -3;
constexpr double kVoiceStopLevel = 0.0005;
constexpr double kReleaseSeconds = 0.5;
constexpr int kChunk = 4096; // frames mixed at once (Faust's MIX_BUFFER_SIZE)

std::uint32_t align64(std::uint32_t n) {
    return (n + 63u) & ~63u;
}

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool is_bargraph(const Parameter& p) {
    return p.kind == Parameter::Kind::VBargraph || p.kind == Parameter::Kind::HBargraph;
}

/// The per-voice allocation table, one I32/F32 field of each kind per voice.
enum Book : std::uint32_t { Note, NextNote, NextVel, Date, Release, Level, BookFields };
constexpr const char* kBookNames[BookFields] = {"note", "next_note", "next_vel",
                                                "date", "release",   "level"};

/// The extent [begin, end) of the top-level "ui" array's content in a JSON UI
/// description, or {npos, npos}.
std::pair<std::size_t, std::size_t> ui_array(const std::string& json) {
    const std::size_t npos = std::string::npos;
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            if (depth == 1 && json.compare(i, 5, "\"ui\":") == 0) {
                std::size_t open = json.find('[', i);
                if (open == npos) {
                    return {npos, npos};
                }
                int d = 0;
                bool s = false;
                for (std::size_t j = open; j < json.size(); ++j) {
                    char e = json[j];
                    if (s) {
                        if (e == '\\') {
                            ++j;
                        } else if (e == '"') {
                            s = false;
                        }
                    } else if (e == '"') {
                        s = true;
                    } else if (e == '[' || e == '{') {
                        ++d;
                    } else if (e == ']' || e == '}') {
                        if (--d == 0) {
                            return {open + 1, j};
                        }
                    }
                }
                return {npos, npos};
            }
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return {npos, npos};
}

/// The voice's JSON with the effect's UI items appended to its "ui" array and
/// its "outputs" made the effect's.
std::string combined_json(const std::string& voice, const std::string& effect, int outputs) {
    std::string json = voice;
    if (!effect.empty()) {
        auto [vb, ve] = ui_array(voice);
        auto [eb, ee] = ui_array(effect);
        if (vb != std::string::npos && eb != std::string::npos) {
            std::string items = effect.substr(eb, ee - eb);
            while (!items.empty() && std::isspace(static_cast<unsigned char>(items.back()))) {
                items.pop_back();
            }
            std::size_t end = ve;
            while (end > vb && std::isspace(static_cast<unsigned char>(json[end - 1]))) {
                --end;
            }
            bool voice_empty = end == vb;
            std::size_t first = items.find_first_not_of(" \t\r\n");
            if (first != std::string::npos) {
                json.insert(end, (voice_empty ? "" : ",") + items.substr(first));
            }
        }
        std::size_t o = json.find("\"outputs\":");
        if (o != std::string::npos) {
            std::size_t v = o + 10;
            while (v < json.size() && json[v] == ' ') {
                ++v;
            }
            std::size_t e = v;
            while (e < json.size() && std::isdigit(static_cast<unsigned char>(json[e]))) {
                ++e;
            }
            json.replace(v, e - v, std::to_string(outputs));
        }
    }
    return json;
}

/// Where the voices' MIDI-driven controls are, and how key-on maps to them.
struct NoteControls {
    std::vector<std::size_t> freq, gate, gain; ///< indices into the voice's parameters
    bool key_is_number = false;                ///< a /key control: the key number, not Hz
    bool vel_is_number = false;                ///< a /vel or /velocity control: 0..127
};

NoteControls note_controls(const std::vector<Parameter>& params) {
    // as dsp_voice::extractPaths: over the addresses in sorted order, the last
    // /freq or /key (and /gain or /vel) decides the mapping
    std::vector<std::size_t> order(params.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return params[a].path < params[b].path; });
    NoteControls n;
    for (std::size_t i : order) {
        const std::string& p = params[i].path;
        if (is_bargraph(params[i])) {
            continue;
        }
        if (ends_with(p, "/gate")) {
            n.gate.push_back(i);
        } else if (ends_with(p, "/freq")) {
            n.key_is_number = false;
            n.freq.push_back(i);
        } else if (ends_with(p, "/key")) {
            n.key_is_number = true;
            n.freq.push_back(i);
        } else if (ends_with(p, "/gain")) {
            n.vel_is_number = false;
            n.gain.push_back(i);
        } else if (ends_with(p, "/vel") || ends_with(p, "/velocity")) {
            n.vel_is_number = true;
            n.gain.push_back(i);
        }
    }
    return n;
}

class PolyFactory final : public Factory {
public:
    PolyFactory(FactoryInfo info, std::shared_ptr<const Factory> voice,
                std::shared_ptr<const Factory> effect, int voices, std::uint32_t stride,
                std::uint32_t effect_base, std::uint32_t book_base)
        : Factory(std::move(info)), voice_(std::move(voice)), effect_(std::move(effect)),
          voices_(voices), stride_(stride), effect_base_(effect_base), book_base_(book_base),
          notes_(note_controls(voice_->parameters())) {
    }
    const char* implementation() const override {
        return voice_->implementation();
    }

    std::shared_ptr<const Factory> voice_, effect_;
    int voices_;
    std::uint32_t stride_, effect_base_, book_base_;
    NoteControls notes_;

protected:
    std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const override;
};

class PolyInstance final : public Instance {
public:
    explicit PolyInstance(std::shared_ptr<const Factory> self)
        : Instance(self), f_(static_cast<const PolyFactory&>(*self)),
          bytes_(std::max<std::size_t>(f_.state_bytes(), 16)), double_(f_.double_precision()),
          sample_bytes_(double_ ? 8 : 4) {
        state_ = static_cast<std::byte*>(::operator new(bytes_, std::align_val_t(64)));
        std::memset(state_, 0, bytes_);
        master_ = f_.voice_->create_instance_in(state_);
        for (int v = 0; v < f_.voices_; ++v) {
            voices_.push_back(f_.voice_->create_instance_in(state_ + base(v)));
        }
        if (f_.effect_) {
            effect_ = f_.effect_->create_instance_in(state_ + f_.effect_base_);
        }
        const std::size_t vout = std::size_t(f_.voice_->num_outputs());
        const std::size_t vin = std::size_t(f_.voice_->num_inputs());
        const std::size_t chunk_bytes = std::size_t(kChunk) * sample_bytes_;
        scratch_.assign(std::max<std::size_t>(vout, 1) * chunk_bytes * 2, std::byte{0});
        voice_out_.resize(vout);
        mix_.resize(vout);
        for (std::size_t c = 0; c < vout; ++c) {
            voice_out_[c] = scratch_.data() + c * chunk_bytes;
            mix_[c] = scratch_.data() + (vout + c) * chunk_bytes;
        }
        in_slice_.resize(vin);
        voice_slice_.resize(vout);
        out_slice_.resize(std::size_t(f_.num_outputs()));
        effect_in_.resize(vout);
    }
    ~PolyInstance() override {
        voices_.clear();
        master_.reset();
        effect_.reset();
        ::operator delete(state_, std::align_val_t(64));
    }

    void instance_constants(int sample_rate) override {
        sample_rate_ = sample_rate;
        master_->instance_constants(sample_rate);
        for (auto& v : voices_) {
            v->instance_constants(sample_rate);
        }
        if (effect_) {
            effect_->instance_constants(sample_rate);
        }
    }
    void reset_controls() override {
        master_->reset_controls();
        for (auto& v : voices_) {
            v->reset_controls();
        }
        if (effect_) {
            effect_->reset_controls();
        }
    }
    void clear() override {
        for (auto& v : voices_) {
            v->clear();
        }
        if (effect_) {
            effect_->clear();
        }
        for (int v = 0; v < f_.voices_; ++v) {
            book(v, Note) = kFreeVoice;
            book(v, NextNote) = -1;
            book(v, NextVel) = -1;
            book(v, Date) = 0;
            book(v, Release) = 0;
            set_level(v, 0);
        }
    }

    void set_parameter(std::size_t index, double value) override {
        const std::size_t nv = f_.voice_->parameters().size();
        if (index < nv) {
            master_->set_parameter(index, value);
            for (auto& v : voices_) {
                v->set_parameter(index, value);
            }
        } else if (effect_) {
            effect_->set_parameter(index - nv, value);
        }
    }
    double get_parameter(std::size_t index) const override {
        const std::size_t nv = f_.voice_->parameters().size();
        if (index < nv) {
            // a bargraph is what the voices write: the first voice's
            return is_bargraph(parameters()[index]) ? voices_[0]->get_parameter(index)
                                                    : master_->get_parameter(index);
        }
        return effect_ ? effect_->get_parameter(index - nv) : 0.0;
    }
    using Instance::get_parameter;
    using Instance::set_parameter;

    std::byte* state() override {
        return state_;
    }
    const std::byte* state() const override {
        return state_;
    }
    void read_state(std::span<std::byte> to) const override {
        std::memcpy(to.data(), state_, std::min(to.size(), bytes_));
    }
    void write_state(std::span<const std::byte> from) override {
        std::memcpy(state_, from.data(), std::min(from.size(), bytes_));
    }

    void note(const NoteEvent& e) override {
        if (e.type == NoteEvent::Type::AllOff) {
            for (int v = 0; v < f_.voices_; ++v) {
                key_off(v);
            }
        } else if (e.type == NoteEvent::Type::On && e.velocity > 0) {
            int v = free_voice();
            if (book(v, Note) == kLegatoVoice) {
                book(v, NextNote) = e.key;
                book(v, NextVel) = e.velocity;
            } else {
                key_on(v, e.key, e.velocity);
            }
        } else {
            int v = playing_voice(e.key);
            if (v >= 0) {
                key_off(v);
            }
        }
    }

    void compute(int frames, const void* const* inputs, void* const* outputs) override {
        if (double_) {
            run<double>(frames, inputs, outputs);
        } else {
            run<float>(frames, inputs, outputs);
        }
    }

private:
    std::uint32_t base(int v) const {
        return f_.stride_ * std::uint32_t(v + 1);
    }
    std::int32_t& book(int v, Book b) {
        return *reinterpret_cast<std::int32_t*>(
            state_ + f_.book_base_ + 4u * (std::uint32_t(b) * std::uint32_t(f_.voices_) + v));
    }
    float level(int v) {
        float l;
        std::memcpy(&l, &book(v, Level), 4);
        return l;
    }
    void set_level(int v, float l) {
        std::memcpy(&book(v, Level), &l, 4);
    }

    void key_on(int v, int key, int velocity) {
        const NoteControls& n = f_.notes_;
        const double freq =
            n.key_is_number ? double(key) : 440.0 * std::pow(2.0, (key - 69.0) / 12.0);
        const double gain = n.vel_is_number ? double(velocity) : double(velocity) / 127.0;
        for (std::size_t i : n.freq) {
            voices_[std::size_t(v)]->set_parameter(i, freq);
        }
        for (std::size_t i : n.gate) {
            voices_[std::size_t(v)]->set_parameter(i, 1.0);
        }
        for (std::size_t i : n.gain) {
            voices_[std::size_t(v)]->set_parameter(i, gain);
        }
        book(v, Note) = key;
    }
    void key_off(int v) {
        for (std::size_t i : f_.notes_.gate) {
            voices_[std::size_t(v)]->set_parameter(i, 0.0);
        }
        book(v, Release) = std::int32_t(kReleaseSeconds * sample_rate_);
        book(v, Note) = kReleaseVoice;
    }
    int playing_voice(int key) {
        int found = -1;
        std::int32_t oldest = std::numeric_limits<std::int32_t>::max();
        for (int v = 0; v < f_.voices_; ++v) {
            if (book(v, Note) == key && book(v, Date) < oldest) {
                oldest = book(v, Date);
                found = v;
            }
        }
        return found;
    }
    int alloc(int v, std::int32_t type) {
        book(v, Date) += 1;
        book(v, Note) = type;
        return v;
    }
    int free_voice() {
        for (int v = 0; v < f_.voices_; ++v) {
            if (book(v, Note) == kFreeVoice) {
                return alloc(v, kActiveVoice);
            }
        }
        int release = -1, playing = -1;
        std::int32_t oldest_release = std::numeric_limits<std::int32_t>::max();
        std::int32_t oldest_playing = oldest_release;
        for (int v = 0; v < f_.voices_; ++v) {
            if (book(v, Note) == kReleaseVoice) {
                if (book(v, Date) < oldest_release) {
                    oldest_release = book(v, Date);
                    release = v;
                }
            } else if (book(v, Date) < oldest_playing) {
                oldest_playing = book(v, Date);
                playing = v;
            }
        }
        return alloc(release >= 0 ? release : (playing >= 0 ? playing : 0), kLegatoVoice);
    }

    template <class T>
    void compute_voice(int v, int offset, int n, const void* const* inputs, std::size_t in_at) {
        for (std::size_t c = 0; c < in_slice_.size(); ++c) {
            in_slice_[c] = static_cast<const T*>(inputs[c]) + in_at;
        }
        for (std::size_t c = 0; c < voice_slice_.size(); ++c) {
            voice_slice_[c] = static_cast<T*>(voice_out_[c]) + offset;
        }
        voices_[std::size_t(v)]->compute(n, in_slice_.data(), voice_slice_.data());
    }

    /// Adds the voice's output to the mix; its peak.
    template <class T> double mix_voice(int n) {
        double peak = 0;
        for (std::size_t c = 0; c < mix_.size(); ++c) {
            const T* from = static_cast<const T*>(voice_out_[c]);
            T* to = static_cast<T*>(mix_[c]);
            for (int i = 0; i < n; ++i) {
                peak = std::max(peak, double(std::fabs(from[i])));
                to[i] += from[i];
            }
        }
        return peak;
    }

    template <class T> void run(int frames, const void* const* inputs, void* const* outputs) {
        const std::size_t nout = out_slice_.size();
        for (int done = 0; done < frames; done += kChunk) {
            const int n = std::min(kChunk, frames - done);
            for (std::size_t c = 0; c < mix_.size(); ++c) {
                std::memset(mix_[c], 0, std::size_t(n) * sizeof(T));
            }
            for (int v = 0; v < f_.voices_; ++v) {
                const std::int32_t state = book(v, Note);
                if (state == kLegatoVoice) {
                    // the old note with its gate closed for half the block, faded
                    // out, then the new note (dsp_voice::computeLegato)
                    const int half = n / 2;
                    for (std::size_t i : f_.notes_.gate) {
                        voices_[std::size_t(v)]->set_parameter(i, 0.0);
                    }
                    compute_voice<T>(v, 0, half, inputs, std::size_t(done));
                    key_on(v, book(v, NextNote), book(v, NextVel));
                    compute_voice<T>(v, half, n - half, inputs,
                                     std::size_t(done) + std::size_t(half));
                    for (std::size_t c = 0; c < voice_out_.size(); ++c) {
                        T* s = static_cast<T*>(voice_out_[c]);
                        double factor = 1, step = 1.0 / double(half);
                        for (int i = 0; i < half; ++i) {
                            s[i] = T(double(s[i]) * factor);
                            factor -= step;
                        }
                    }
                    set_level(v, float(mix_voice<T>(n)));
                } else {
                    compute_voice<T>(v, 0, n, inputs, std::size_t(done));
                    if (state == kFreeVoice) {
                        continue; // computed to keep its ring index in step, not heard
                    }
                    const double peak = mix_voice<T>(n);
                    set_level(v, float(peak));
                    book(v, Release) -= n;
                    if (state == kReleaseVoice && book(v, Release) < 0 && peak < kVoiceStopLevel) {
                        book(v, Note) = kFreeVoice;
                    }
                }
            }
            if (effect_) {
                for (std::size_t c = 0; c < effect_in_.size(); ++c) {
                    effect_in_[c] = mix_[c];
                }
                for (std::size_t c = 0; c < nout; ++c) {
                    out_slice_[c] = static_cast<T*>(outputs[c]) + done;
                }
                effect_->compute(n, effect_in_.data(), out_slice_.data());
            } else {
                for (std::size_t c = 0; c < nout; ++c) {
                    std::memcpy(static_cast<T*>(outputs[c]) + done, mix_[c],
                                std::size_t(n) * sizeof(T));
                }
            }
        }
    }

    const PolyFactory& f_;
    std::size_t bytes_;
    bool double_;
    std::size_t sample_bytes_;
    int sample_rate_ = 44100;
    std::byte* state_ = nullptr;
    std::unique_ptr<Instance> master_, effect_;
    std::vector<std::unique_ptr<Instance>> voices_;
    std::vector<std::byte> scratch_;
    std::vector<void*> voice_out_, mix_;
    std::vector<const void*> in_slice_, effect_in_;
    std::vector<void*> voice_slice_, out_slice_;
};

std::unique_ptr<Instance> PolyFactory::make_instance(std::shared_ptr<const Factory> self) const {
    return std::make_unique<PolyInstance>(std::move(self));
}

void set_error(std::string* error, std::string message) {
    if (error != nullptr) {
        *error = std::move(message);
    }
}

bool places_instances(const Factory& f) {
    const std::size_t bytes = std::max<std::size_t>(f.state_bytes(), 16);
    void* block = ::operator new(bytes, std::align_val_t(64));
    std::memset(block, 0, bytes); // create_instance_in() wants it zeroed
    bool ok = f.create_instance_in(static_cast<std::byte*>(block)) != nullptr;
    ::operator delete(block, std::align_val_t(64));
    return ok;
}

/// `id` made distinct for `salt` (a voice, the effect).
StateIdentity salted(StateIdentity id, std::uint64_t salt) {
    if (!id.empty()) {
        id.position = support::fnv1a(&salt, sizeof salt, id.position ^ 0x9e3779b97f4a7c15ull);
    }
    return id;
}

} // namespace

std::shared_ptr<const Factory> make_poly_factory(std::shared_ptr<const Factory> voice,
                                                 std::shared_ptr<const Factory> effect, int voices,
                                                 std::string* error) {
    if (!voice) {
        set_error(error, "polyphony: no voice program");
        return nullptr;
    }
    if (voices < 1 || voices > 256) {
        set_error(error, "polyphony: " + std::to_string(voices) + " voices (1..256 allowed)");
        return nullptr;
    }
    if (effect) {
        if (effect->num_inputs() != voice->num_outputs()) {
            set_error(error, "polyphony: the effect has " + std::to_string(effect->num_inputs()) +
                                 " inputs, the voice " + std::to_string(voice->num_outputs()) +
                                 " outputs");
            return nullptr;
        }
        if (effect->double_precision() != voice->double_precision()) {
            set_error(error, "polyphony: the effect and the voice differ in precision");
            return nullptr;
        }
    }
    if (!places_instances(*voice) || (effect && !places_instances(*effect))) {
        set_error(error, std::string("polyphony: the ") + voice->implementation() +
                             " implementation cannot place instances in one block");
        return nullptr;
    }

    const FactoryInfo& vi = voice->info();
    FactoryInfo info;
    info.name = vi.name;
    info.inputs = vi.inputs;
    info.outputs = effect ? effect->num_outputs() : vi.outputs;
    info.double_precision = vi.double_precision;
    info.metadata = vi.metadata;
    info.parameters = vi.parameters; // offsets into the master copy, at 0
    info.ui = vi.ui;
    info.source_files = vi.source_files;
    info.voices = voices;

    const std::uint32_t stride = align64(std::max<std::uint32_t>(vi.state_bytes, 16));
    // the master copy: the voice's controls
    for (const StateField& f : vi.state_layout) {
        if (f.kind == StateKind::Control) {
            info.state_layout.push_back(f);
        }
    }
    // each voice
    for (int v = 0; v < voices; ++v) {
        const std::uint32_t base = stride * std::uint32_t(v + 1);
        const std::string prefix = "v" + std::to_string(v + 1) + ".";
        for (StateField f : vi.state_layout) {
            f.name = prefix + f.name;
            f.offset += base;
            if (f.kind == StateKind::Control) {
                // its own values (freq, gate, gain...), carried voice to voice
                f.kind = StateKind::Other;
                f.identity = StateIdentity{
                    StateIdentity::Kind::Held, support::fnv1a(prefix + f.identity.path), 0, {}};
            } else {
                f.identity = salted(f.identity, std::uint64_t(v) + 1);
            }
            info.state_layout.push_back(std::move(f));
        }
    }
    std::uint32_t end = stride * std::uint32_t(voices + 1);
    std::uint32_t effect_base = end;
    if (effect) {
        const FactoryInfo& ei = effect->info();
        const std::size_t nv = info.parameters.size();
        for (Parameter p : ei.parameters) {
            p.offset += effect_base;
            info.parameters.push_back(std::move(p));
        }
        for (UiItem item : ei.ui) {
            if (item.kind == UiItem::Kind::Widget) {
                item.parameter += nv;
            }
            info.ui.push_back(std::move(item));
        }
        for (StateField f : ei.state_layout) {
            f.name = "effect." + f.name;
            f.offset += effect_base;
            if (f.kind != StateKind::Control) {
                f.identity = salted(f.identity, 0xeffec7ull);
            }
            info.state_layout.push_back(std::move(f));
        }
        end += align64(std::max<std::uint32_t>(ei.state_bytes, 16));
    }
    const std::uint32_t book_base = end;
    for (std::uint32_t b = 0; b < BookFields; ++b) {
        for (int v = 0; v < voices; ++v) {
            StateField f;
            f.name = std::string("poly.") + kBookNames[b] + "[" + std::to_string(v) + "]";
            f.kind = StateKind::Other;
            f.type = b == Level ? ValueType::F32 : ValueType::I32;
            f.identity =
                StateIdentity{StateIdentity::Kind::Held, support::fnv1a(f.name, 0x70017ull), 0, {}};
            f.offset = book_base + 4u * (b * std::uint32_t(voices) + std::uint32_t(v));
            f.bytes = 4;
            info.state_layout.push_back(std::move(f));
        }
    }
    info.state_bytes = align64(book_base + 4u * BookFields * std::uint32_t(voices));
    info.json = combined_json(vi.json, effect ? effect->json() : std::string(), info.outputs);
    std::string key = vi.content_key + "|voices=" + std::to_string(voices);
    if (effect) {
        key += "|effect=" + effect->content_key();
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(support::fnv1a(key)));
    info.content_key = vi.content_key.substr(0, 16) + hex;
    return std::make_shared<PolyFactory>(std::move(info), std::move(voice), std::move(effect),
                                         voices, stride, effect_base, book_base);
}

int declared_voices(const Factory& factory) {
    for (const auto& [key, value] : factory.metadata()) {
        if (key == "nvoices") {
            char* end = nullptr;
            long n = std::strtol(value.c_str(), &end, 10);
            if (end != value.c_str() && n > 0 && n <= 256) {
                return int(n);
            }
            return 0;
        }
    }
    return 0;
}

} // namespace tutti::runtime
