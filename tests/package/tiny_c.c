/* SPDX-License-Identifier: MIT */
/* The C API through `pkg-config tutti`, compiled as C. */
#include <stdio.h>
#include <tutti/tutti_c.h>

int main(void) {
    char* diagnostics = NULL;
    tutti_factory* f =
        tutti_compile_source("tiny.dsp", "process = 1 : + ~ *(0.5);", NULL, &diagnostics, NULL);
    if (f == NULL) {
        printf("%s", diagnostics);
        return 1;
    }
    tutti_string_free(diagnostics);
    tutti_instance* i = tutti_instance_new(f);
    tutti_instance_init(i, 48000);
    float out[4] = {0};
    void* outs[1] = {out};
    tutti_instance_compute(i, 4, NULL, outs);
    printf("tutti %s (C): %g %g %g %g\n", tutti_version(), out[0], out[1], out[2], out[3]);
    tutti_instance_free(i);
    tutti_factory_free(f);
    return out[3] == 1.875f ? 0 : 1;
}
