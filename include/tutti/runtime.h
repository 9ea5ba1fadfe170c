// SPDX-License-Identifier: MIT
/** \file
 * The runtime's public API (library tutti_runtime): a `Factory` describes a
 * compiled program and makes `Instance`s that run it. The compiler
 * (tutti/compiler.h) makes factories; the engine, the drivers and hosts use them
 * through this interface only, without linking the front end, the evaluator or
 * LLVM's optimiser.
 *
 * Implementations (docs/architecture.md): the interpreted instance (in
 * tutti_runtime), the JIT-compiled instance (tutti_jit, the only runtime code
 * that links LLVM) and, later, a remote instance. Nothing here assumes that the
 * code runs in this process: a factory's description (`FactoryInfo`) is plain
 * data that can cross a wire, and an instance's state is reached through
 * `read_state`/`write_state`; `state()` is a direct view that only an instance
 * whose state lives in this process's memory has.
 *
 * Samples: inputs and outputs are arrays of `float` for single precision
 * programs and of `double` for double precision ones (as Faust's FAUSTFLOAT when
 * the reference is built with -double -DFAUSTFLOAT=double).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti {

/// A UI element of a program.
struct Parameter {
    enum class Kind { Button, Checkbox, VSlider, HSlider, NEntry, VBargraph, HBargraph };
    Kind kind{};
    /// Faust's address ("/group/sub/label": labels without metadata, each of
    /// ` #*,?[]{}()` replaced by '_'), as `faust -json` writes it and OSC/HTTP use.
    std::string path;
    std::string label;     ///< the label without its metadata, as in the JSON ("0x00" when empty)
    std::string shortname; ///< the shortest unique suffix of the address, as in the JSON
    std::vector<std::pair<std::string, std::string>>
        metadata; ///< from [key:value] in the label, sorted
    /// Whether `name` names this parameter: its address, short name or label.
    bool named(std::string_view name) const {
        return path == name || shortname == name || label == name;
    }
    double init = 0, min = 0, max = 0, step = 0;
    std::uint32_t offset = 0; ///< byte offset of its value in the state block
};

/// What a state field is for (the engine migrates state by kind and identity).
enum class StateKind : std::uint8_t {
    Control,
    Constant,
    Table,
    Delay,
    Recursion,
    Iota,
    Other,
    Sound, ///< a soundfile: a pointer to the loaded sound, set when the instance is made
};
/// The element type of a state field.
enum class ValueType : std::uint8_t { I32, F32, F64 };

const char*
to_string(StateKind kind); ///< control, constant, table, delay, recursion, iota, other, sound
const char* to_string(ValueType type); ///< i32, f32, f64
std::uint32_t size_of(ValueType type); ///< bytes of one element

/// The structural identity of a state field, stable across compilations and
/// across edits elsewhere in the program (docs/state-identity.md): what kind of
/// state it is, where the program reads it (position: the path from the
/// outputs) and, for state that can move, the shape of what computes it. Two
/// fields of two versions of a program with equal identities hold the same
/// thing. Controls are identified by their UI address instead.
struct StateIdentity {
    enum class Kind : std::uint8_t {
        None,      ///< no identity: recomputed (constants, table generators' scratch)
        Control,   ///< `path` is the control's address
        Delay,     ///< a delay line
        Recursion, ///< the memory of a recursion
        Table,     ///< a read-only table (recomputed by its generator)
        RwTable,   ///< a writable table (its content is state)
        Held,      ///< a value held between blocks (e.g. a sample-and-hold)
        Prefix,    ///< the "started" flag of a prefix (x' with an initial value)
        WavePos,   ///< a waveform's read position
        Iota,      ///< the ring-buffer write index of the sample loop
    };
    Kind kind = Kind::None;
    std::uint64_t position = 0; ///< hash of the path from the outputs down to the state
    std::uint64_t shape = 0;    ///< hash of the structure around the state (0: none)
    std::string path;           ///< controls only: the UI address

    bool empty() const {
        return kind == Kind::None;
    }
    friend bool operator==(const StateIdentity&, const StateIdentity&) = default;
};
/// "<kind>:<position>:<shape>" (hex), "control:<path>", "iota", or "" for none:
/// for reports and logs, never to be parsed.
std::string to_string(const StateIdentity& identity);
struct StateIdentityHash {
    std::size_t operator()(const StateIdentity& id) const noexcept;
};

/// One field of an instance's state (the state layout descriptor): what it is,
/// where it lives, and its structural identity (the hot-swap engine matches on it).
struct StateField {
    std::string name; ///< fRec0, fVec1, fHslider0...
    StateKind kind = StateKind::Other;
    ValueType type = ValueType::F32;
    StateIdentity identity;   ///< empty when the field is recomputed (constants, table generators)
    std::uint32_t offset = 0; ///< bytes into the state block
    std::uint32_t elements = 1; ///< 1 for a scalar
    std::uint32_t bytes = 0;
    /// Delay lines and recursions: a ring buffer written at IOTA & (elements-1)
    /// (the value k samples ago is at (IOTA - k) & (elements-1)); otherwise
    /// element k holds the value k samples ago (element 0: the current one).
    bool ring = false;
    /// Delay lines and recursions: the program reads this field's signal times
    /// `scale` where it is read (the normal form moves constant factors across
    /// delays: `(k*x)@d` becomes `k*(x@d)`, and the line holds x). A swap that
    /// carries the past of a delayed signal into storage with another scale
    /// multiplies it by the ratio, so that what is heard stays the same.
    double scale = 1;
    /// Where the source makes this state: "prog.dsp:line:col" in the program's
    /// own file, followed by " (lib:line:col)" for the innermost place in a
    /// library when they differ; empty when unknown.
    std::string location;
};

/// Walks the UI tree (Faust's buildUserInterface): groups in order, widgets
/// with the index of their parameter.
class UiVisitor {
public:
    virtual ~UiVisitor() = default;
    /// type: "vgroup", "hgroup" or "tgroup"
    virtual void open_group(std::string_view type, std::string_view label,
                            const std::vector<std::pair<std::string, std::string>>& metadata) = 0;
    virtual void close_group() = 0;
    virtual void widget(const Parameter& parameter, std::size_t index) = 0;
};

/// One step of a walk of the UI tree, in order (the tree as plain data).
struct UiItem {
    enum class Kind : std::uint8_t { OpenGroup, CloseGroup, Widget };
    Kind kind{};
    std::string type;  ///< OpenGroup: "vgroup", "hgroup" or "tgroup"
    std::string label; ///< OpenGroup
    std::vector<std::pair<std::string, std::string>> metadata; ///< OpenGroup
    std::size_t parameter = 0; ///< Widget: index into the parameters
};

/// Everything about a compiled program but its code: plain data, the same for
/// every implementation (a remote factory receives it from the server).
struct FactoryInfo {
    std::string name;
    int inputs = 0, outputs = 0;
    bool double_precision = false;
    std::vector<std::pair<std::string, std::string>> metadata;
    std::vector<Parameter> parameters;
    std::string json;
    std::vector<UiItem> ui;
    std::vector<StateField> state_layout;
    std::uint32_t state_bytes = 0;
    std::string content_key;
    std::vector<std::string> source_files;
    /// A polyphonic program (runtime/poly_factory.h): how many voices its
    /// instances play notes on (Instance::note); 0 for any other program.
    int voices = 0;
};

/// A note event for a polyphonic instance (Faust's dsp_poly keyOn/keyOff/allNotesOff).
struct NoteEvent {
    enum class Type : std::uint8_t { On, Off, AllOff };
    Type type = Type::On;
    std::uint8_t channel = 0;  ///< 0..15
    std::uint8_t key = 0;      ///< 0..127
    std::uint8_t velocity = 0; ///< 0..127 (On with 0 is an Off, as MIDI says)
};

class Instance;
namespace runtime {
class ConstantsMemo; // runtime/constants_memo.h
}

/// A compiled program. Made by the compiler (or, later, by a remote server's
/// client); always held by a std::shared_ptr, which its instances share.
class Factory : public std::enable_shared_from_this<Factory> {
public:
    virtual ~Factory();
    Factory(const Factory&) = delete;
    Factory& operator=(const Factory&) = delete;

    const std::string& name() const {
        return info_.name;
    }
    int num_inputs() const {
        return info_.inputs;
    }
    int num_outputs() const {
        return info_.outputs;
    }
    bool double_precision() const {
        return info_.double_precision;
    }
    const std::vector<std::pair<std::string, std::string>>& metadata() const {
        return info_.metadata;
    }
    const std::vector<Parameter>& parameters() const {
        return info_.parameters;
    }
    /// The JSON UI description, in the format of Faust's JSONUI.
    const std::string& json() const {
        return info_.json;
    }
    void build_user_interface(UiVisitor& visitor) const;
    /// Every state field, with its structural identity.
    const std::vector<StateField>& state_layout() const {
        return info_.state_layout;
    }
    std::uint32_t state_bytes() const {
        return info_.state_bytes;
    }
    /// Hex digest of the evaluated program, the options, the compiler version and
    /// the CPU: equal keys mean interchangeable code (for caches and servers).
    const std::string& content_key() const {
        return info_.content_key;
    }
    /// Every file the compilation read (the program first, then its libraries),
    /// as opened: what to watch for changes.
    const std::vector<std::string>& source_files() const {
        return info_.source_files;
    }
    const FactoryInfo& info() const {
        return info_;
    }
    /// Which implementation runs the code: "interpreter", "llvm-jit"...
    virtual const char* implementation() const = 0;

    /// A new instance, not yet initialised (call init()), whose factory() is this
    /// factory (which it keeps alive).
    std::unique_ptr<Instance> create_instance() const;
    /// A new instance whose state block is `state`: state_bytes() bytes (at least
    /// 16), 64-byte aligned, zeroed, owned by the caller and outliving the
    /// instance (a polyphonic instance lays its voices out in one block this way).
    /// nullptr when the implementation keeps its state elsewhere (a remote one).
    std::unique_ptr<Instance> create_instance_in(std::byte* state) const;
    /// What init_constants leaves in its instances' state, computed by the
    /// first and copied into the next (runtime/constants_memo.h).
    runtime::ConstantsMemo& constants_memo() const {
        return *memo_;
    }

protected:
    explicit Factory(FactoryInfo info);
    /// The implementation's instance; `self` is this factory.
    virtual std::unique_ptr<Instance> make_instance(std::shared_ptr<const Factory> self) const = 0;
    /// The same in a block the caller owns; nullptr by default (not supported).
    virtual std::unique_ptr<Instance> make_instance_in(std::shared_ptr<const Factory> self,
                                                       std::byte* state) const;

private:
    FactoryInfo info_;
    std::unique_ptr<runtime::ConstantsMemo> memo_;
};

/// One running copy of a program: its own state, the factory's code.
class Instance {
public:
    virtual ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    /// init_constants(rate), reset_controls(), clear(), like Faust's dsp::init.
    void init(int sample_rate);
    virtual void instance_constants(int sample_rate) = 0;
    virtual void reset_controls() = 0;
    virtual void clear() = 0;
    /// inputs/outputs: num_inputs()/num_outputs() arrays of `frames` samples
    /// (float, or double for double-precision programs).
    virtual void compute(int frames, const void* const* inputs, void* const* outputs) = 0;
    /// Audio thread. A note for a polyphonic instance (factory().info().voices > 0),
    /// taking effect at the next sample computed; other instances ignore it.
    virtual void note(const NoteEvent& event);

    int num_inputs() const;
    int num_outputs() const;
    const std::vector<Parameter>& parameters() const;
    /// By address ("/g/gain"), short name or label ("gain"): every parameter so
    /// named; false when none is.
    bool set_parameter(std::string_view name, double value);
    std::optional<double> get_parameter(std::string_view name) const;
    /// Direct access to the value of parameters()[index].
    virtual void set_parameter(std::size_t index, double value) = 0;
    virtual double get_parameter(std::size_t index) const = 0;

    /// The state block (Factory::state_layout() describes it), in this process's
    /// memory, for the engine's state migration: never resized, valid as long as
    /// the instance lives; nullptr for an instance whose state lives elsewhere
    /// (a remote instance), which is reached through read_state/write_state.
    virtual std::byte* state() = 0;
    virtual const std::byte* state() const = 0;
    /// Copies the state block (factory().state_bytes() bytes) out of / into the instance.
    virtual void read_state(std::span<std::byte> to) const = 0;
    virtual void write_state(std::span<const std::byte> from) = 0;

    /// The factory this instance was made by.
    const Factory& factory() const {
        return *factory_;
    }

protected:
    explicit Instance(std::shared_ptr<const Factory> factory);

private:
    std::shared_ptr<const Factory> factory_; ///< keeps the code alive as long as the instance
};

} // namespace tutti
