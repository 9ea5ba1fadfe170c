/* SPDX-License-Identifier: MIT */
/** \file
 * The C API of tutti, for hosts written in C and for other languages' bindings
 * (ctypes, cffi, FFI): a Faust program is compiled into a factory, a factory
 * makes instances that compute samples, and an engine plays one program at a
 * time, swapping in new versions while it plays. The same library as the C++
 * API (libtutti: `pkg-config tutti` or CMake's `tutti::tutti`).
 *
 * Conventions:
 *  - handles are opaque pointers; each `_new`/`compile` has its `_free`;
 *  - strings given back as `char*` are allocated by the library and freed with
 *    tutti_string_free(); `const char*` results belong to their handle;
 *  - no function throws or aborts: failures return NULL, 0 or -1, with a
 *    message where an `error` out-parameter is given;
 *  - samples are `float` for single-precision programs and engines, `double`
 *    with double_precision set (so buffers are passed as `void*`).
 * Threads: a factory may be shared by threads; an instance is used by one
 * thread at a time; an engine follows the rules of tutti/engine.h
 * (tutti_engine_process() on the audio thread only, the rest on others).
 */
#ifndef TUTTI_TUTTI_C_H
#define TUTTI_TUTTI_C_H

#include <stddef.h> /* NOLINT(modernize-deprecated-headers): a C header */
#include <stdint.h> /* NOLINT(modernize-deprecated-headers) */

#include "tutti/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tutti_factory tutti_factory;
typedef struct tutti_instance tutti_instance;
typedef struct tutti_engine tutti_engine;

/** The library's version ("0.1.0"), and the Faust language version it implements. */
const char* tutti_version(void);
const char* tutti_faust_version(void);

/** Frees a string the library returned (NULL is allowed). */
void tutti_string_free(char* s);

/* ---- compiling ---- */

typedef struct tutti_compile_options {
    int double_precision;   /**< 0: float samples, 1: double */
    int interpreter;        /**< 0: LLVM JIT (default), 1: the IR interpreter */
    int opt_level;          /**< LLVM optimisation level 0..3 (default 2) */
    int allow_foreign_code; /**< 1 (default): ffunctions of C/C++ headers are compiled, loaded */
    const char* const* include_dirs; /**< library search folders (-I), after the program's own */
    size_t num_include_dirs;
    double max_seconds;        /**< compile time limit, 0: none (default 60) */
    uint64_t max_memory_bytes; /**< compile memory limit, 0: none (default 2 GiB) */
} tutti_compile_options;

/** Fills `options` with the defaults. */
void tutti_compile_options_init(tutti_compile_options* options);

/** Compiles a program from a file, or from source text named `name` (the
 * name diagnostics use). `options` may be NULL (the defaults). Returns NULL
 * when there were errors. `diagnostics_text` (`file:line:col: error: ...`
 * with the source line and a caret) and `diagnostics_json` (a JSON array of
 * objects with id, severity, message, file, line, column) receive every
 * diagnostic, warnings included, when not NULL (free with tutti_string_free;
 * an empty string or "[]" when there is none). */
tutti_factory* tutti_compile_file(const char* path, const tutti_compile_options* options,
                                  char** diagnostics_text, char** diagnostics_json);
tutti_factory* tutti_compile_source(const char* name, const char* source,
                                    const tutti_compile_options* options, char** diagnostics_text,
                                    char** diagnostics_json);
/** A factory lives as long as its holders: the caller's handle, its instances
 * and the engines it was submitted to. */
void tutti_factory_free(tutti_factory* factory);

const char* tutti_factory_name(const tutti_factory* factory);
int tutti_factory_num_inputs(const tutti_factory* factory);
int tutti_factory_num_outputs(const tutti_factory* factory);
int tutti_factory_double_precision(const tutti_factory* factory);
/** The UI description in the format of Faust's JSONUI (`faust -json`). */
const char* tutti_factory_json(const tutti_factory* factory);

typedef enum tutti_parameter_kind {
    TUTTI_BUTTON,
    TUTTI_CHECKBOX,
    TUTTI_VSLIDER,
    TUTTI_HSLIDER,
    TUTTI_NENTRY,
    TUTTI_VBARGRAPH,
    TUTTI_HBARGRAPH
} tutti_parameter_kind;

typedef struct tutti_parameter {
    tutti_parameter_kind kind;
    const char* path;      /**< Faust's address, "/group/label", as in the JSON */
    const char* label;     /**< the label without its metadata */
    const char* shortname; /**< the shortest unique suffix of the address */
    double init, min, max, step;
} tutti_parameter;

size_t tutti_factory_num_parameters(const tutti_factory* factory);
/** Describes parameter `index` (< num_parameters); its strings belong to the
 * factory. Returns 0, or -1 for an index out of range. */
int tutti_factory_parameter(const tutti_factory* factory, size_t index, tutti_parameter* out);

/* ---- instances ---- */

/** A new instance, not yet initialised (call tutti_instance_init). */
tutti_instance* tutti_instance_new(const tutti_factory* factory);
void tutti_instance_free(tutti_instance* instance);
/** Constants for the rate, controls to their init values, state cleared. */
void tutti_instance_init(tutti_instance* instance, int sample_rate);
void tutti_instance_clear(tutti_instance* instance);
void tutti_instance_reset_controls(tutti_instance* instance);
/** `inputs`/`outputs`: num_inputs/num_outputs arrays of `frames` samples
 * (float*, or double* for double-precision programs). */
void tutti_instance_compute(tutti_instance* instance, int frames, const void* const* inputs,
                            void* const* outputs);
/** By Faust address ("/g/gain"), short name or label: every parameter so
 * named. Returns 0, or -1 when none is. */
int tutti_instance_set_parameter(tutti_instance* instance, const char* path, double value);
int tutti_instance_get_parameter(const tutti_instance* instance, const char* path, double* value);

/* ---- the engine ---- */

typedef struct tutti_engine_options {
    int sample_rate;     /**< default 44100 */
    int max_block;       /**< the largest `frames` tutti_engine_process() is given (default 4096) */
    int inputs, outputs; /**< the host's channels (default 2, 2) */
    int double_precision;          /**< samples given to tutti_engine_process() are double */
    double crossfade_ms;           /**< when state cannot be carried across a swap (default 20) */
    tutti_compile_options compile; /**< for tutti_engine_load_file() */
} tutti_engine_options;

void tutti_engine_options_init(tutti_engine_options* options);

/** Starts the engine's threads; NULL with *error (free it) on failure. */
tutti_engine* tutti_engine_new(const tutti_engine_options* options, char** error);
/** After the host stopped calling tutti_engine_process(). */
void tutti_engine_free(tutti_engine* engine);

/** Prepares a compiled program and queues it: it replaces the playing version
 * at the next block, carrying its state. Returns the version's generation
 * (1, 2, ...), or 0 with *error when its sample format is not the engine's. */
uint64_t tutti_engine_submit(tutti_engine* engine, const tutti_factory* factory,
                             const char* program_name, char** error);
/** Compiles a file on the engine's worker thread, then swaps it in; returns
 * its generation at once (see tutti_engine_wait_prepared). */
uint64_t tutti_engine_load_file(tutti_engine* engine, const char* path);
/** Waits (up to timeout_ms) until version `generation` is compiled and queued:
 * 1 when it is, 0 when it failed or the time ran out. */
int tutti_engine_wait_prepared(tutti_engine* engine, uint64_t generation, int timeout_ms);
/** The reports of the versions whose story changed since the last call
 * (compiled or not, with diagnostics, committed, what state was carried), as
 * a JSON array; free with tutti_string_free. */
char* tutti_engine_take_reports_json(tutti_engine* engine);

/** Audio thread: `inputs`/`outputs` arrays of the engine's channels, `frames`
 * (<= max_block) samples each, float or double as the engine's options. */
void tutti_engine_process(tutti_engine* engine, int frames, const void* const* inputs,
                          void* const* outputs);

/** Sets the parameters so named (address, short name or label) in the last
 * submitted version, at the next block. 0, or -1 when none is so named. */
int tutti_engine_set_parameter(tutti_engine* engine, const char* path, double value);
uint64_t tutti_engine_playing_generation(const tutti_engine* engine);
uint64_t tutti_engine_frames_processed(const tutti_engine* engine);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TUTTI_TUTTI_C_H */
