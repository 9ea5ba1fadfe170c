/* SPDX-License-Identifier: MIT */
/* The C API (include/tutti/tutti_c.h) from a C program, compiled as C: compile
 * a Faust program, compute samples with an instance and compare them with what
 * `tutti render` prints for the same program; set a parameter by its Faust
 * address; read the JSON; play the program through an engine (submit/process)
 * with a parameter change and a swap, again against `tutti render`.
 *
 *   capi_test path/to/tutti WORKDIR
 * Prints one line per check; exits 1 at the first failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tutti/tutti_c.h"

#define FRAMES 4096
#define BLOCK 64
#define RATE 44100

static int failures = 0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok   ");                                                                       \
        } else {                                                                                   \
            printf("FAIL ");                                                                       \
            failures++;                                                                            \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        fflush(stdout);                                                                            \
        if (!(cond)) {                                                                             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static const char* program_v1 = "import(\"stdfaust.lib\");\n"
                                "gain = hslider(\"gain\", 0.5, 0, 1, 0.01);\n"
                                "process = os.osc(440) : fi.lowpass(2, 3000) : *(gain) <: _, (abs "
                                ": vbargraph(\"level\", 0, 1));\n";
/* The edit: the filter's cutoff; the oscillator's phase and the filter state carry over. */
static const char* program_v2 = "import(\"stdfaust.lib\");\n"
                                "gain = hslider(\"gain\", 0.5, 0, 1, 0.01);\n"
                                "process = os.osc(440) : fi.lowpass(2, 1000) : *(gain) <: _, (abs "
                                ": vbargraph(\"level\", 0, 1));\n";

static void write_file(const char* path, const char* text) {
    FILE* f = fopen(path, "w");
    CHECK(f != NULL, "write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Runs `tutti render ARGS -o -` and reads channel 0 of its text output. */
static void render(const char* tutti, const char* args, float* out) {
    char command[4096];
    snprintf(command, sizeof command, "'%s' render %s --frames %d --block %d -o - --quiet", tutti,
             args, FRAMES, BLOCK);
    FILE* p = popen(command, "r");
    CHECK(p != NULL, "popen %s", command);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (line[0] == '#') {
            continue;
        }
        long frame;
        float a, b;
        if (sscanf(line, "%ld %f %f", &frame, &a, &b) == 3 && frame == n && n < FRAMES) {
            out[n++] = a;
        }
    }
    int rc = pclose(p);
    CHECK(rc == 0 && n == FRAMES, "tutti render %s: %d frames (rc %d)", args, n, rc);
}

static int first_difference(const float* a, const float* b, int n) {
    for (int i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return -1;
}

static float render_v1[FRAMES], render_set[FRAMES], render_swap[FRAMES];
static float mine[FRAMES], level[FRAMES];

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: capi_test TUTTI WORKDIR\n");
        return 2;
    }
    const char* tutti = argv[1];
    char v1[1024], v2[1024], args[4096];
    snprintf(v1, sizeof v1, "%s/capi_v1.dsp", argv[2]);
    snprintf(v2, sizeof v2, "%s/capi_v2.dsp", argv[2]);
    write_file(v1, program_v1);
    write_file(v2, program_v2);
    printf("tutti %s (Faust %s), header %s\n", tutti_version(), tutti_faust_version(),
           TUTTI_VERSION_STRING);
    CHECK(strcmp(tutti_version(), TUTTI_VERSION_STRING) == 0, "library and header versions agree");

    /* A compile error comes back as diagnostics, text and JSON. */
    char *text = NULL, *json = NULL;
    tutti_factory* bad = tutti_compile_source("bad.dsp", "process = 1 +;\n", NULL, &text, &json);
    CHECK(bad == NULL && strstr(text, "bad.dsp:1:") != NULL && json[0] == '[' &&
              strstr(json, "\"line\"") != NULL,
          "a syntax error: no factory; %s", text);
    tutti_string_free(text);
    tutti_string_free(json);

    /* Compile, read the UI. */
    tutti_compile_options options;
    tutti_compile_options_init(&options);
    tutti_factory* f = tutti_compile_file(v1, &options, &text, &json);
    CHECK(f != NULL && strcmp(json, "[]") == 0, "compiled %s, diagnostics %s", v1, json);
    tutti_string_free(text);
    tutti_string_free(json);
    CHECK(tutti_factory_num_inputs(f) == 0 && tutti_factory_num_outputs(f) == 2 &&
              !tutti_factory_double_precision(f),
          "0 inputs, 2 outputs, single precision");
    size_t np = tutti_factory_num_parameters(f);
    const char* gain_path = NULL;
    for (size_t i = 0; i < np; ++i) {
        tutti_parameter p;
        CHECK(tutti_factory_parameter(f, i, &p) == 0, "parameter %zu: %s", i, p.path);
        if (p.kind == TUTTI_HSLIDER && strcmp(p.label, "gain") == 0) {
            gain_path = p.path;
            CHECK(p.init == 0.5 && p.min == 0 && p.max == 1, "gain: init 0.5 in [0, 1]");
        }
    }
    tutti_parameter none;
    CHECK(tutti_factory_parameter(f, np, &none) == -1, "an index out of range is refused");
    CHECK(gain_path != NULL && gain_path[0] == '/', "the gain slider's address is %s", gain_path);
    const char* ui = tutti_factory_json(f);
    char address[512];
    snprintf(address, sizeof address, "\"address\": \"%s\"", gain_path);
    CHECK(ui[0] == '{' && strstr(ui, address) != NULL && strstr(ui, "\"vbargraph\"") != NULL,
          "the JSON describes %s and the bargraph", address);

    /* An instance computes what tutti render prints. */
    snprintf(args, sizeof args, "'%s'", v1);
    render(tutti, args, render_v1);
    tutti_instance* inst = tutti_instance_new(f);
    CHECK(inst != NULL, "instance");
    tutti_instance_init(inst, RATE);
    for (int pos = 0; pos < FRAMES; pos += BLOCK) {
        void* outs[2] = {mine + pos, level + pos};
        tutti_instance_compute(inst, BLOCK, NULL, outs);
    }
    int d = first_difference(mine, render_v1, FRAMES);
    CHECK(d < 0, "instance = tutti render over %d frames (first difference at %d)", FRAMES, d);
    float peak = 0;
    for (int i = 0; i < FRAMES; ++i) {
        peak = fmaxf(peak, fabsf(mine[i]));
    }
    CHECK(peak > 0.1, "not silent: peak %.3f", peak);

    /* A parameter by its Faust address, against tutti render --set. */
    snprintf(args, sizeof args, "'%s' --set '%s=0.25'", v1, gain_path);
    render(tutti, args, render_set);
    tutti_instance_init(inst, RATE);
    CHECK(tutti_instance_set_parameter(inst, gain_path, 0.25) == 0, "set %s = 0.25", gain_path);
    double g = 0;
    CHECK(tutti_instance_get_parameter(inst, "gain", &g) == 0 && g == 0.25,
          "get gain (by label) = %g", g);
    CHECK(tutti_instance_set_parameter(inst, "/no/such/control", 1) == -1,
          "an unknown address is refused");
    for (int pos = 0; pos < FRAMES; pos += BLOCK) {
        void* outs[2] = {mine + pos, level + pos};
        tutti_instance_compute(inst, BLOCK, NULL, outs);
    }
    d = first_difference(mine, render_set, FRAMES);
    CHECK(d < 0, "instance with gain 0.25 = tutti render --set (first difference at %d)", d);
    tutti_instance_free(inst);

    /* The engine: submit, process; a change at frame 1024, the edit swapped in at
     * frame 2048; against tutti render --set-at / --swap-at (both at block boundaries). */
    snprintf(args, sizeof args, "'%s' --set-at '1024:%s=0.25' --swap-at '2048:%s'", v1, gain_path,
             v2);
    render(tutti, args, render_swap);
    d = first_difference(render_swap, render_v1, FRAMES);
    CHECK(d == 1024, "tutti render: the change lands at frame %d", d);
    tutti_engine_options eo;
    tutti_engine_options_init(&eo);
    eo.sample_rate = RATE;
    eo.max_block = BLOCK;
    eo.inputs = 0;
    eo.outputs = 2;
    char* error = NULL;
    tutti_engine* engine = tutti_engine_new(&eo, &error);
    CHECK(engine != NULL, "engine: %s", error ? error : "started");
    uint64_t g1 = tutti_engine_submit(engine, f, v1, &error);
    CHECK(g1 == 1, "submitted version %llu", (unsigned long long)g1);
    tutti_factory_free(f); /* the engine holds it now */
    tutti_factory* f2 = tutti_compile_file(v2, NULL, NULL, NULL);
    CHECK(f2 != NULL, "compiled the edit");
    for (int pos = 0; pos < FRAMES; pos += BLOCK) {
        if (pos == 1024) {
            CHECK(tutti_engine_set_parameter(engine, gain_path, 0.25) == 0,
                  "engine: set %s at frame %d", gain_path, pos);
        }
        if (pos == 2048) {
            uint64_t g2 = tutti_engine_submit(engine, f2, v2, &error);
            CHECK(g2 == 2, "engine: the edit submitted at frame %d as version %llu", pos,
                  (unsigned long long)g2);
        }
        void* outs[2] = {mine + pos, level + pos};
        tutti_engine_process(engine, BLOCK, NULL, outs);
    }
    CHECK(tutti_engine_playing_generation(engine) == 2 &&
              tutti_engine_frames_processed(engine) == FRAMES,
          "engine: version 2 playing after %d frames", FRAMES);
    d = first_difference(mine, render_swap, FRAMES);
    CHECK(d < 0, "engine output = tutti render --set-at --swap-at (first difference at %d)", d);
    /* The reports: the commit of version 2 may be recorded by an engine thread a
     * moment after the block that played it; poll for up to 5 s. */
    int committed = 0;
    for (int tries = 0; tries < 500 && !committed; ++tries) {
        char* reports = tutti_engine_take_reports_json(engine);
        CHECK(reports != NULL && reports[0] == '[', "engine: reports as a JSON array");
        const char* r2 = strstr(reports, "{\"generation\": 2,");
        if (r2 != NULL) {
            const char* next = strstr(r2 + 1, "{\"generation\": ");
            const char* c = strstr(r2, "\"committed\": true");
            const char* carried = strstr(r2, "\"action\": \"carried\"");
            committed = c != NULL && (next == NULL || c < next) && carried != NULL &&
                        (next == NULL || carried < next);
        }
        tutti_string_free(reports);
        if (!committed) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK(committed, "engine: the reports (JSON) tell version 2 committed with state carried");
    tutti_engine_free(engine);
    tutti_factory_free(f2);
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
