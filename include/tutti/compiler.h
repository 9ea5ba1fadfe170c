// SPDX-License-Identifier: MIT
/** \file
 * The compiler's public API: a Faust program (file or source text) becomes a
 * `Factory` (or a list of diagnostics); a factory makes `Instance`s that run the
 * program. Nothing here throws: errors come back as diagnostics.
 *
 * Samples: inputs and outputs are arrays of `float` for single precision
 * programs and of `double` with `double_precision` (as Faust's FAUSTFLOAT when
 * the reference is built with -double -DFAUSTFLOAT=double).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tutti/diagnostics.h"

namespace tutti {

enum class Backend { Llvm, Interpreter };

struct CompileOptions {
    bool double_precision = false;
    Backend backend = Backend::Llvm;
    std::vector<std::string> include_dirs; ///< -I DIR, searched after the program's folder
    int opt_level = 2;                      ///< LLVM optimisation level 0..3
    /// `ffunction` of a function of a C/C++ header (not of the C math library):
    /// the header is compiled with the host's C++ compiler and loaded into the
    /// process. A server compiling other people's programs sets this to false.
    bool allow_foreign_code = true;
    /// Hard limits of one compilation; passing one ends the compilation with a
    /// diagnostic (compile_memory_limit, compile_time_limit) at the place of the
    /// program that was being expanded. 0: no limit. Memory is the growth of the
    /// process's resident set during the compilation (compilations running at
    /// once in one process share it); time is wall-clock time.
    std::uint64_t max_memory_bytes = std::uint64_t(2) << 30;
    double max_seconds = 60;
    /// Passes (pipeline_passes()) whose output to hand to `dump` after they
    /// run; "all" names every pass. Printing costs time: leave empty to compile.
    std::vector<std::string> dump_after{};
    /// Receives the printed output of each pass named in `dump_after`.
    std::function<void(std::string_view pass, std::string_view text)> dump{};
};

/// One pass of the compilation pipeline (docs/pipeline.md), in order.
struct PipelinePass {
    std::string name;    ///< "parse", "evaluate", ... "backend"
    std::string summary; ///< what it does, in a line
};
std::vector<PipelinePass> pipeline_passes();

/// The wall-clock time one pass took.
struct PassTiming {
    std::string pass;
    double milliseconds = 0;
};

/// A UI element of a program.
struct Parameter {
    enum class Kind { Button, Checkbox, VSlider, HSlider, NEntry, VBargraph, HBargraph };
    Kind kind{};
    /// Faust's address ("/group/sub/label": labels without metadata, each of
    /// ` #*,?[]{}()` replaced by '_'), as `faust -json` writes it and OSC/HTTP use.
    std::string path;
    std::string label;     ///< the label without its metadata, as in the JSON ("0x00" when empty)
    std::string shortname; ///< the shortest unique suffix of the address, as in the JSON
    std::vector<std::pair<std::string, std::string>> metadata; ///< from [key:value] in the label, sorted
    /// Whether `name` names this parameter: its address, short name or label.
    bool named(std::string_view name) const {
        return path == name || shortname == name || label == name;
    }
    double init = 0, min = 0, max = 0, step = 0;
    std::uint32_t offset = 0; ///< byte offset of its value in the state block
};

/// One field of an instance's state (the state layout descriptor): what it is,
/// where it lives, and its structural identity, stable across compilations and
/// across edits elsewhere in the program (the hot-swap engine matches on it).
struct StateField {
    std::string name;     ///< fRec0, fVec1, fHslider0...
    std::string kind;     ///< control, constant, table, delay, recursion, iota, other
    std::string type;     ///< i32, f32, f64
    std::string identity; ///< empty when the field is recomputed (constants, table generators)
    std::uint32_t offset = 0;   ///< bytes into the state block
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

class Instance;

class Factory {
public:
    struct Impl;
    explicit Factory(std::shared_ptr<const Impl> impl);
    ~Factory();

    const std::string& name() const;
    int num_inputs() const;
    int num_outputs() const;
    bool double_precision() const;
    const std::vector<std::pair<std::string, std::string>>& metadata() const;
    const std::vector<Parameter>& parameters() const;
    /// The JSON UI description, in the format of Faust's JSONUI.
    const std::string& json() const;
    void build_user_interface(UiVisitor& visitor) const;
    /// Every state field, with its structural identity.
    const std::vector<StateField>& state_layout() const;
    std::uint32_t state_bytes() const;
    /// Hex digest of the evaluated program, the options, the compiler version and
    /// the CPU: equal keys mean interchangeable code (for caches and servers).
    const std::string& content_key() const;
    /// Every file the compilation read (the program first, then its libraries),
    /// as opened: what to watch for changes.
    const std::vector<std::string>& source_files() const;
    /// A new instance, not yet initialised (call init()).
    std::unique_ptr<Instance> create_instance() const;

private:
    std::shared_ptr<const Impl> impl_;
};

struct CompileResult {
    std::shared_ptr<const Factory> factory; ///< null when there were errors
    std::vector<Diagnostic> diagnostics;
    /// The passes that ran, in order, with their time (also when one failed:
    /// the failing pass is the last).
    std::vector<PassTiming> timings;
    bool ok() const {
        return factory != nullptr;
    }
};

CompileResult compile_file(const std::string& path, const CompileOptions& options = {});
CompileResult compile_source(const std::string& name, const std::string& source,
                             const CompileOptions& options = {});

class Instance {
public:
    struct Impl;
    explicit Instance(std::unique_ptr<Impl> impl);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    /// init_constants(rate), reset_controls(), clear(), like Faust's dsp::init.
    void init(int sample_rate);
    void instance_constants(int sample_rate);
    void reset_controls();
    void clear();
    /// inputs/outputs: num_inputs()/num_outputs() arrays of `frames` samples
    /// (float, or double for double-precision programs).
    void compute(int frames, const void* const* inputs, void* const* outputs);

    int num_inputs() const;
    int num_outputs() const;
    const std::vector<Parameter>& parameters() const;
    /// By address ("/g/gain"), short name or label ("gain"): every parameter so
    /// named; false when none is.
    bool set_parameter(std::string_view path_or_label, double value);
    std::optional<double> get_parameter(std::string_view path_or_label) const;
    /// Direct access to the value of parameters()[index].
    void set_parameter(std::size_t index, double value);
    double get_parameter(std::size_t index) const;

    /// The state block (Factory::state_layout() describes it), for the engine's
    /// state migration. Never resized: valid as long as the instance lives.
    std::byte* state();
    const std::byte* state() const;
    const Factory& factory() const;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti
