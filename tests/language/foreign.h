// A foreign header for tests/language/foreign_functions.dsp: functions of
// several signatures, one with state (a counter: called once per sample).
#include <math.h>
static inline float soft_clip(float x, float k) { return x / (1.0f + k * fabsf(x)); }
static inline double soft_clip_d(double x, double k) { return x / (1.0 + k * fabs(x)); }
static inline int wrap_index(int i, int n) { return ((i % n) + n) % n; }
static float table3(int a, int b, int c) { return 0.25f * (float)(a + 2 * b - c); }
static double table3_d(int a, int b, int c) { return 0.25 * (double)(a + 2 * b - c); }
