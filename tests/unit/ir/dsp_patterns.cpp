// SPDX-License-Identifier: MIT
#include "dsp_patterns.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "ir/builder.h"
#include "ir/math_functions.h"

namespace tutti::ir::test_support {

namespace {

constexpr std::int32_t kIntMin = std::numeric_limits<std::int32_t>::min();

std::unique_ptr<Module> new_module(Type real, std::uint32_t inputs, std::uint32_t outputs) {
    auto m = std::make_unique<Module>();
    m->real = real;
    m->num_inputs = inputs;
    m->num_outputs = outputs;
    return m;
}

/// for (i<loop> = 0; i < count; i++) field[i] = 0
const Stmt* clear_array(Builder& b, Module& m, std::uint32_t field, std::uint32_t loop) {
    const Field& f = m.fields[field];
    return b.for_loop(loop, b.i32(0), b.i32(std::int32_t(f.count)),
                      {b.set_field(field, b.loop_var(loop), b.constant(f.type, 0))});
}

// ------------------------------------------------------------ reference side
// Plain C++ in the style of Faust's C++ backend; integer helpers written
// independently of the interpreter's.

template <class T> std::int32_t ref_ftoi(T x) {
    if (std::isnan(x) || x < T(-2147483648.0) || x >= T(2147483648.0)) {
        return kIntMin;
    }
    return static_cast<std::int32_t>(x);
}
std::int32_t ref_div(std::int32_t a, std::int32_t b) {
    if (b == 0 || (b == -1 && a == kIntMin)) {
        return 0;
    }
    return a / b;
}
std::int32_t ref_rem(std::int32_t a, std::int32_t b) {
    if (b == 0 || (b == -1 && a == kIntMin)) {
        return 0;
    }
    return a % b;
}
std::int32_t wrap(std::uint32_t v) {
    return static_cast<std::int32_t>(v);
}
std::int32_t ref_mul(std::int32_t a, std::int32_t b) {
    return wrap(std::uint32_t(a) * std::uint32_t(b));
}
std::int32_t ref_add(std::int32_t a, std::int32_t b) {
    return wrap(std::uint32_t(a) + std::uint32_t(b));
}
std::int32_t ref_sub(std::int32_t a, std::int32_t b) {
    return wrap(std::uint32_t(a) - std::uint32_t(b));
}
std::int32_t ref_shl(std::int32_t a, std::int32_t n) {
    return wrap(std::uint32_t(a) << (n & 31));
}
std::int32_t ref_shr(std::int32_t a, std::int32_t n) {
    return a >> (n & 31);
}

float ref_sin(float x) {
    return ::sinf(x);
}
double ref_sin(double x) {
    return ::sin(x);
}
float ref_fmod(float x, float y) {
    return ::fmodf(x, y);
}
double ref_fmod(double x, double y) {
    return ::fmod(x, y);
}

template <class T> struct RefDsp {
    void init(int) {
    }
    void reset() {
    }
    void clear() {
    }
    void set_control(double) {
    }
};

template <class D, class T> Executor wrap_reference() {
    auto dsp = std::make_shared<D>();
    Executor ex;
    ex.state_bytes = 0; // the object keeps its own state
    ex.init_constants = [dsp](void*, int sr) { dsp->init(sr); };
    ex.reset_controls = [dsp](void*) { dsp->reset(); };
    ex.clear_state = [dsp](void*) { dsp->clear(); };
    ex.compute = [dsp](void*, int n, const void* const* in, void* const* out) {
        dsp->compute(n, reinterpret_cast<const T* const*>(in), reinterpret_cast<T* const*>(out));
    };
    ex.set_control = [dsp](void*, double v) { dsp->set_control(v); };
    return ex;
}

template <template <class> class D> Executor reference(Type real) {
    return real == Type::F32 ? wrap_reference<D<float>, float>()
                             : wrap_reference<D<double>, double>();
}

// ------------------------------------------------------------------ constant

std::unique_ptr<Module> make_constant(Type real) {
    auto m = new_module(real, 1, 2);
    Builder b(*m);
    m->compute.body.push_back(b.frame_loop({
        b.set_output(0, b.real(0.25)),
        b.set_output(1, b.binary(Op::Mul, b.input(0), b.real(0.1))),
    }));
    layout(*m);
    return m;
}

template <class T> struct ConstantDsp : RefDsp<T> {
    void compute(int count, const T* const* in, T* const* out) {
        for (int i = 0; i < count; ++i) {
            out[0][i] = T(0.25);
            out[1][i] = in[0][i] * T(0.1);
        }
    }
};

// ----------------------------------------------------------------- recursion

std::unique_ptr<Module> make_recursion(Type real) {
    auto m = new_module(real, 1, 1);
    Builder b(*m);
    std::uint32_t rec = b.add_field("fRec0", real, 2, FieldKind::Recursion, "rec:0");
    m->clear_state.body.push_back(clear_array(b, *m, rec, 0));
    m->compute.body.push_back(b.frame_loop({
        b.set_field(
            rec, b.i32(0),
            b.binary(Op::Add, b.binary(Op::Mul, b.real(0.5), b.field(rec, b.i32(1))), b.input(0))),
        b.set_output(0, b.field(rec, b.i32(0))),
        b.set_field(rec, b.i32(1), b.field(rec, b.i32(0))),
    }));
    layout(*m);
    return m;
}

template <class T> struct RecursionDsp : RefDsp<T> {
    T fRec0[2];
    void clear() {
        fRec0[0] = fRec0[1] = 0;
    }
    void compute(int count, const T* const* in, T* const* out) {
        for (int i = 0; i < count; ++i) {
            fRec0[0] = T(0.5) * fRec0[1] + in[0][i];
            out[0][i] = fRec0[0];
            fRec0[1] = fRec0[0];
        }
    }
};

// --------------------------------------------------------------------- delay

std::unique_ptr<Module> make_delay(Type real) {
    auto m = new_module(real, 1, 2);
    Builder b(*m);
    std::uint32_t vec = b.add_field("fVec0", real, 1024, FieldKind::Delay, "delay:x");
    std::uint32_t iota = b.add_field("IOTA0", Type::I32, 1, FieldKind::Iota);
    m->clear_state.body.push_back(b.set_field(iota, nullptr, b.i32(0)));
    m->clear_state.body.push_back(clear_array(b, *m, vec, 0));
    auto tap = [&](std::int32_t d) {
        return b.field(vec,
                       b.binary(Op::And, b.binary(Op::Sub, b.field(iota), b.i32(d)), b.i32(1023)));
    };
    m->compute.body.push_back(b.frame_loop({
        b.set_field(vec, b.binary(Op::And, b.field(iota), b.i32(1023)), b.input(0)),
        b.set_output(0, tap(100)),
        b.set_output(1, tap(1023)),
        b.set_field(iota, nullptr, b.binary(Op::Add, b.field(iota), b.i32(1))),
    }));
    layout(*m);
    return m;
}

template <class T> struct DelayDsp : RefDsp<T> {
    T fVec0[1024];
    int IOTA0;
    void clear() {
        IOTA0 = 0;
        for (T& x : fVec0) {
            x = 0;
        }
    }
    void compute(int count, const T* const* in, T* const* out) {
        for (int i = 0; i < count; ++i) {
            fVec0[IOTA0 & 1023] = in[0][i];
            out[0][i] = fVec0[(IOTA0 - 100) & 1023];
            out[1][i] = fVec0[(IOTA0 - 1023) & 1023];
            IOTA0 = IOTA0 + 1;
        }
    }
};

// ---------------------------------------------------------------- sine table

constexpr double kTwoPiOver65536 = 6.283185307179586 / 65536.0;

std::unique_ptr<Module> make_sine_table(Type real) {
    auto m = new_module(real, 1, 2);
    Builder b(*m);
    std::uint32_t table = b.add_field("fTable0", real, 65536, FieldKind::Table, "table:sin");
    std::uint32_t sr = b.add_field("fConst0", real, 1, FieldKind::Constant);
    const char* sin_name = real == Type::F32 ? "sinf" : "sin";
    m->init_constants.body.push_back(b.set_field(
        sr, nullptr,
        b.unary(Op::ItoF,
                b.binary(Op::Max, b.i32(1), b.binary(Op::Min, b.i32(192000), b.sample_rate())))));
    m->init_constants.body.push_back(
        b.for_loop(7, b.i32(0), b.i32(65536),
                   {b.set_field(table, b.loop_var(7),
                                b.call(sin_name, real,
                                       {b.binary(Op::Mul, b.unary(Op::ItoF, b.loop_var(7)),
                                                 b.real(kTwoPiOver65536))}))}));
    std::uint32_t idx = Builder::add_local(m->compute, "iTemp0", Type::I32);
    const Expr* pos = b.binary(
        Op::Mul, b.binary(Op::Add, b.binary(Op::Mul, b.input(0), b.real(0.5)), b.real(0.5)),
        b.real(65536));
    m->compute.body.push_back(b.frame_loop({
        b.set_local(idx, b.binary(Op::Max, b.i32(0),
                                  b.binary(Op::Min, b.unary(Op::FtoI, pos), b.i32(65535)))),
        b.set_output(0, b.field(table, b.local(idx, Type::I32))),
        b.set_output(1, b.binary(Op::Mul, b.input(0), b.field(sr))),
    }));
    layout(*m);
    return m;
}

template <class T> struct SineTableDsp : RefDsp<T> {
    std::vector<T> fTable0 = std::vector<T>(65536);
    T fConst0;
    void init(int sr) {
        fConst0 = T(std::max(1, std::min(192000, sr)));
        for (int i = 0; i < 65536; ++i) {
            fTable0[std::size_t(i)] = ref_sin(T(i) * T(kTwoPiOver65536));
        }
    }
    void compute(int count, const T* const* in, T* const* out) {
        for (int i = 0; i < count; ++i) {
            int iTemp0 =
                std::max(0, std::min(ref_ftoi((in[0][i] * T(0.5) + T(0.5)) * T(65536)), 65535));
            out[0][i] = fTable0[std::size_t(iTemp0)];
            out[1][i] = in[0][i] * fConst0;
        }
    }
};

// ------------------------------------------------------------------- control

std::unique_ptr<Module> make_control(Type real) {
    auto m = new_module(real, 1, 2);
    Builder b(*m);
    std::uint32_t slider = b.add_field("fHslider0", real, 1, FieldKind::Control, "ui:/gain");
    std::uint32_t rec = b.add_field("fRec0", real, 2, FieldKind::Recursion, "rec:smooth");
    std::uint32_t c = b.add_field("fConst0", real, 1, FieldKind::Constant);
    m->init_constants.body.push_back(b.set_field(
        c, nullptr,
        b.binary(Op::Div, b.real(3.14159),
                 b.unary(Op::ItoF, b.binary(Op::Max, b.i32(1),
                                            b.binary(Op::Min, b.i32(192000), b.sample_rate()))))));
    m->reset_controls.body.push_back(b.set_field(slider, nullptr, b.real(0.5)));
    m->clear_state.body.push_back(clear_array(b, *m, rec, 0));
    std::uint32_t slow = Builder::add_local(m->compute, "fSlow0", real);
    std::uint32_t slow1 = Builder::add_local(m->compute, "iSlow1", Type::I32);
    m->compute.body.push_back(b.set_local(slow, b.binary(Op::Mul, b.real(0.001), b.field(slider))));
    m->compute.body.push_back(b.set_local(slow1, b.binary(Op::Mul, b.count(), b.i32(3))));
    m->compute.body.push_back(b.frame_loop({
        b.set_field(rec, b.i32(0),
                    b.binary(Op::Add, b.local(slow, real),
                             b.binary(Op::Mul, b.real(0.999), b.field(rec, b.i32(1))))),
        b.set_output(0, b.binary(Op::Mul, b.input(0), b.field(rec, b.i32(0)))),
        b.set_output(
            1, b.binary(Op::Mul,
                        b.unary(Op::ItoF, b.binary(Op::Add, b.local(slow1, Type::I32), b.frame())),
                        b.field(c))),
        b.set_field(rec, b.i32(1), b.field(rec, b.i32(0))),
    }));
    layout(*m);
    return m;
}

template <class T> struct ControlDsp : RefDsp<T> {
    T fHslider0;
    T fRec0[2];
    T fConst0;
    void init(int sr) {
        fConst0 = T(3.14159) / T(std::max(1, std::min(192000, sr)));
    }
    void reset() {
        fHslider0 = T(0.5);
    }
    void clear() {
        fRec0[0] = fRec0[1] = 0;
    }
    void set_control(double v) {
        fHslider0 = T(v);
    }
    void compute(int count, const T* const* in, T* const* out) {
        T fSlow0 = T(0.001) * fHslider0;
        int iSlow1 = count * 3;
        for (int i = 0; i < count; ++i) {
            fRec0[0] = fSlow0 + T(0.999) * fRec0[1];
            out[0][i] = in[0][i] * fRec0[0];
            out[1][i] = T(iSlow1 + i) * fConst0;
            fRec0[1] = fRec0[0];
        }
    }
};

// --------------------------------------------------------------------- noise

std::unique_ptr<Module> make_noise(Type real) {
    auto m = new_module(real, 0, 1);
    Builder b(*m);
    std::uint32_t rec = b.add_field("iRec0", Type::I32, 2, FieldKind::Recursion, "rec:noise");
    m->clear_state.body.push_back(clear_array(b, *m, rec, 0));
    m->compute.body.push_back(b.frame_loop({
        b.set_field(rec, b.i32(0),
                    b.binary(Op::Add, b.binary(Op::Mul, b.i32(1103515245), b.field(rec, b.i32(1))),
                             b.i32(12345))),
        b.set_output(0, b.binary(Op::Mul, b.real(4.656612875e-10),
                                 b.unary(Op::ItoF, b.field(rec, b.i32(0))))),
        b.set_field(rec, b.i32(1), b.field(rec, b.i32(0))),
    }));
    layout(*m);
    return m;
}

template <class T> struct NoiseDsp : RefDsp<T> {
    int iRec0[2];
    void clear() {
        iRec0[0] = iRec0[1] = 0;
    }
    void compute(int count, const T* const*, T* const* out) {
        for (int i = 0; i < count; ++i) {
            iRec0[0] = ref_add(ref_mul(1103515245, iRec0[1]), 12345);
            out[0][i] = T(4.656612875e-10) * T(iRec0[0]);
            iRec0[1] = iRec0[0];
        }
    }
};

// ------------------------------------------------------------- integer edges

constexpr std::uint32_t kEdgeOutputs = 19;

std::unique_ptr<Module> make_integer_edges(Type real) {
    auto m = new_module(real, 2, kEdgeOutputs);
    Builder b(*m);
    Function& f = m->compute;
    std::uint32_t ia = Builder::add_local(f, "ia", Type::I32);
    std::uint32_t ib = Builder::add_local(f, "ib", Type::I32);
    std::uint32_t ic = Builder::add_local(f, "ic", Type::I32);
    std::uint32_t tmp = Builder::add_local(f, "fTemp", real);
    auto A = [&] { return b.local(ia, Type::I32); };
    auto B = [&] { return b.local(ib, Type::I32); };
    auto C = [&] { return b.local(ic, Type::I32); };
    auto x = [&] { return b.input(0); };
    auto y = [&] { return b.input(1); };
    auto bin = [&](Op op, const Expr* l, const Expr* r) { return b.binary(op, l, r); };
    auto itof = [&](const Expr* e) { return b.unary(Op::ItoF, e); };
    auto bit = [&](const Expr* e, std::int32_t n) { return bin(Op::Shl, e, b.i32(n)); };

    const Expr* real_cmp =
        bin(Op::Or, bin(Op::Or, bin(Op::Lt, x(), y()), bit(bin(Op::Le, x(), y()), 1)),
            bin(Op::Or, bin(Op::Or, bit(bin(Op::Gt, x(), y()), 2), bit(bin(Op::Ge, x(), y()), 3)),
                bin(Op::Or, bit(bin(Op::Eq, x(), y()), 4), bit(bin(Op::Ne, x(), y()), 5))));
    const Expr* int_cmp =
        bin(Op::Or, bin(Op::Or, bin(Op::Lt, A(), B()), bit(bin(Op::Le, A(), C()), 1)),
            bin(Op::Or, bin(Op::Or, bit(bin(Op::Eq, A(), B()), 2), bit(bin(Op::Ne, A(), C()), 3)),
                bin(Op::Or, bit(bin(Op::Gt, A(), B()), 4), bit(bin(Op::Ge, A(), C()), 5))));
    const Expr* precision =
        real == Type::F32 ? b.unary(Op::FTrunc, b.call("sin", Type::F64, {b.unary(Op::FExt, x())}))
                          : bin(Op::Mul, b.unary(Op::FExt, b.unary(Op::FTrunc, x())), y());

    f.body.push_back(b.frame_loop({
        b.set_local(ia, b.unary(Op::FtoI, bin(Op::Mul, x(), b.real(3e9)))),
        b.set_local(ib, b.unary(Op::FtoI, bin(Op::Mul, y(), b.real(3)))),
        b.set_local(ic, b.unary(Op::FtoI, bin(Op::Mul, y(), b.real(40)))),
        b.set_output(0, itof(A())),
        b.set_output(1, itof(bin(Op::Div, A(), B()))),
        b.set_output(2, itof(bin(Op::Rem, A(), B()))),
        b.set_output(3, itof(bin(Op::Shl, A(), C()))),
        b.set_output(4, itof(bin(Op::Shr, A(), C()))),
        b.set_output(5, itof(bin(Op::Add, bin(Op::Mul, A(), A()), b.i32(1103515245)))),
        b.set_output(6, itof(b.unary(Op::Neg, A()))),
        b.set_output(7, itof(bin(Op::Xor, bin(Op::Min, A(), B()), bin(Op::Max, A(), C())))),
        b.set_output(8, bin(Op::Min, x(), y())),
        b.set_output(9, bin(Op::Max, x(), y())),
        b.set_output(10, itof(real_cmp)),
        b.set_output(11, bin(Op::Rem, x(), y())),
        b.set_output(12, b.select(bin(Op::And, A(), b.i32(1)), x(), b.unary(Op::Neg, y()))),
        b.if_else(bin(Op::Gt, B(), b.i32(0)), {b.set_local(tmp, bin(Op::Div, x(), y()))},
                  {b.set_local(tmp, bin(Op::Sub, y(), x()))}),
        b.set_output(13, b.local(tmp, real)),
        b.set_output(14, precision),
        b.set_output(15, itof(int_cmp)),
        b.set_output(16, itof(bin(Op::Sub, A(), bin(Op::Mul, B(), b.i32(1000000007))))),
        b.set_output(17, itof(b.unary(Op::FtoI, x()))),
        b.set_output(18, itof(bin(Op::Add, bin(Op::Div, b.i32(kIntMin), B()),
                                  bin(Op::Rem, b.i32(kIntMin), B())))),
    }));
    layout(*m);
    return m;
}

template <class T> struct IntegerEdgesDsp : RefDsp<T> {
    void compute(int count, const T* const* in, T* const* out) {
        for (int i = 0; i < count; ++i) {
            T x = in[0][i];
            T y = in[1][i];
            int ia = ref_ftoi(x * T(3e9));
            int ib = ref_ftoi(y * T(3));
            int ic = ref_ftoi(y * T(40));
            out[0][i] = T(ia);
            out[1][i] = T(ref_div(ia, ib));
            out[2][i] = T(ref_rem(ia, ib));
            out[3][i] = T(ref_shl(ia, ic));
            out[4][i] = T(ref_shr(ia, ic));
            out[5][i] = T(ref_add(ref_mul(ia, ia), 1103515245));
            out[6][i] = T(ref_sub(0, ia));
            out[7][i] = T(std::min(ia, ib) ^ std::max(ia, ic));
            out[8][i] = std::min(x, y);
            out[9][i] = std::max(x, y);
            out[10][i] = T((x < y) | (x <= y) << 1 | (x > y) << 2 | (x >= y) << 3 | (x == y) << 4 |
                           (x != y) << 5);
            out[11][i] = ref_fmod(x, y);
            out[12][i] = (ia & 1) ? x : -y;
            T fTemp;
            if (ib > 0) {
                fTemp = x / y;
            } else {
                fTemp = y - x;
            }
            out[13][i] = fTemp;
            if constexpr (sizeof(T) == 4) {
                out[14][i] = float(::sin(double(x)));
            } else {
                out[14][i] = double(float(x)) * y;
            }
            out[15][i] = T((ia < ib) | (ia <= ic) << 1 | (ia == ib) << 2 | (ia != ic) << 3 |
                           (ia > ib) << 4 | (ia >= ic) << 5);
            out[16][i] = T(ref_sub(ia, ref_mul(ib, 1000000007)));
            out[17][i] = T(ref_ftoi(x));
            out[18][i] = T(ref_add(ref_div(kIntMin, ib), ref_rem(kIntMin, ib)));
        }
    }
};

// ---------------------------------------------------------------------- libm

/// Whether a function computes in `real` (its real parameter has that type).
bool precision_matches(MathSignature s, Type real) {
    Type p = math_param_type(s, 0) == Type::I32 ? math_param_type(s, 1) : math_param_type(s, 0);
    return p == real;
}

std::unique_ptr<Module> make_libm(Type real) {
    std::vector<std::string> names = libm_pattern_functions(real);
    auto m = new_module(real, 2, std::uint32_t(names.size()));
    Builder b(*m);
    std::vector<const Stmt*> body;
    for (std::size_t k = 0; k < names.size(); ++k) {
        const MathFunction* f = find_math_function(names[k]);
        Type rt = math_result_type(f->signature);
        const Expr* x = b.input(0);
        const Expr* y = b.input(1);
        const Expr* v = nullptr;
        switch (f->signature) {
        case MathSignature::F_F:
        case MathSignature::D_D:
        case MathSignature::I_F:
        case MathSignature::I_D:
            v = b.call(names[k].c_str(), rt, {x});
            break;
        case MathSignature::F_FF:
        case MathSignature::D_DD:
            v = b.call(names[k].c_str(), rt, {x, y});
            break;
        case MathSignature::F_FI:
        case MathSignature::D_DI:
            v = b.call(names[k].c_str(), rt,
                       {x, b.unary(Op::FtoI, b.binary(Op::Mul, y, b.real(10)))});
            break;
        case MathSignature::D_ID:
            // The order modulo 16: glibc's jn/yn take |n| steps (n = INT_MIN from NaN would hang).
            v = b.call(
                names[k].c_str(), rt,
                {b.binary(Op::Rem, b.unary(Op::FtoI, b.binary(Op::Mul, y, b.real(5))), b.i32(16)),
                 x});
            break;
        }
        if (rt == Type::I32) {
            v = b.unary(Op::ItoF, v);
        }
        body.push_back(b.set_output(std::uint32_t(k), v));
    }
    m->compute.body.push_back(b.frame_loop(body));
    layout(*m);
    return m;
}

using RefF = float (*)(float, float);
using RefD = double (*)(double, double);

// Every function called by name, independently of the table under test.
#define TUTTI_REF1(fn)                                                                             \
    if (n == #fn) {                                                                                \
        return [](T x, T) { return T(::fn(x)); };                                                  \
    }
#define TUTTI_REF2(fn)                                                                             \
    if (n == #fn) {                                                                                \
        return [](T x, T y) { return T(::fn(x, y)); };                                             \
    }

RefF ref_libm_f(std::string_view n) {
    using T = float;
    // A list of macro calls: clang-format-14 re-indents it at every run.
    // clang-format off
    TUTTI_REF1(sinf) TUTTI_REF1(cosf) TUTTI_REF1(tanf) TUTTI_REF1(asinf) TUTTI_REF1(acosf)
    TUTTI_REF1(atanf) TUTTI_REF2(atan2f) TUTTI_REF1(expf) TUTTI_REF1(logf) TUTTI_REF1(log10f)
    TUTTI_REF1(sqrtf) TUTTI_REF2(powf) TUTTI_REF2(fmodf) TUTTI_REF2(remainderf) TUTTI_REF1(floorf)
    TUTTI_REF1(ceilf) TUTTI_REF1(rintf) TUTTI_REF1(roundf) TUTTI_REF1(fabsf) TUTTI_REF1(cbrtf)
    TUTTI_REF2(hypotf) TUTTI_REF1(log1pf) TUTTI_REF1(logbf) TUTTI_REF1(ilogbf) TUTTI_REF1(expm1f)
    TUTTI_REF1(acoshf) TUTTI_REF1(asinhf) TUTTI_REF1(atanhf) TUTTI_REF1(sinhf) TUTTI_REF1(coshf)
    TUTTI_REF1(tanhf) TUTTI_REF1(erff) TUTTI_REF1(erfcf) TUTTI_REF1(tgammaf) TUTTI_REF1(lgammaf)
    TUTTI_REF2(copysignf) TUTTI_REF2(nextafterf)
        // clang-format on
        if (n == "ldexpf") {
        return [](T x, T y) { return ::ldexpf(x, ref_ftoi(y * 10.0f)); };
    }
    if (n == "scalbnf") {
        return [](T x, T y) { return ::scalbnf(x, ref_ftoi(y * 10.0f)); };
    }
    return nullptr;
}

RefD ref_libm_d(std::string_view n) {
    using T = double;
    // A list of macro calls: clang-format-14 re-indents it at every run.
    // clang-format off
    TUTTI_REF1(sin) TUTTI_REF1(cos) TUTTI_REF1(tan) TUTTI_REF1(asin) TUTTI_REF1(acos)
    TUTTI_REF1(atan) TUTTI_REF2(atan2) TUTTI_REF1(exp) TUTTI_REF1(log) TUTTI_REF1(log10)
    TUTTI_REF1(sqrt) TUTTI_REF2(pow) TUTTI_REF2(fmod) TUTTI_REF2(remainder) TUTTI_REF1(floor)
    TUTTI_REF1(ceil) TUTTI_REF1(rint) TUTTI_REF1(round) TUTTI_REF1(fabs) TUTTI_REF1(cbrt)
    TUTTI_REF2(hypot) TUTTI_REF1(log1p) TUTTI_REF1(logb) TUTTI_REF1(ilogb) TUTTI_REF1(expm1)
    TUTTI_REF1(acosh) TUTTI_REF1(asinh) TUTTI_REF1(atanh) TUTTI_REF1(sinh) TUTTI_REF1(cosh)
    TUTTI_REF1(tanh) TUTTI_REF1(erf) TUTTI_REF1(erfc) TUTTI_REF1(tgamma) TUTTI_REF1(lgamma)
    TUTTI_REF2(copysign) TUTTI_REF2(nextafter) TUTTI_REF1(j0) TUTTI_REF1(j1) TUTTI_REF1(y0)
    TUTTI_REF1(y1)
        // clang-format on
        if (n == "ldexp") {
        return [](T x, T y) { return ::ldexp(x, ref_ftoi(y * 10.0)); };
    }
    if (n == "scalbn") {
        return [](T x, T y) { return ::scalbn(x, ref_ftoi(y * 10.0)); };
    }
    if (n == "jn") {
        return [](T x, T y) { return ::jn(ref_rem(ref_ftoi(y * 5.0), 16), x); };
    }
    if (n == "yn") {
        return [](T x, T y) { return ::yn(ref_rem(ref_ftoi(y * 5.0), 16), x); };
    }
    return nullptr;
}

#undef TUTTI_REF1
#undef TUTTI_REF2

template <class T> struct LibmDsp : RefDsp<T> {
    using Fn = T (*)(T, T);
    std::vector<Fn> fns;
    LibmDsp() {
        Type real = sizeof(T) == 4 ? Type::F32 : Type::F64;
        for (const std::string& n : libm_pattern_functions(real)) {
            Fn f;
            if constexpr (sizeof(T) == 4) {
                f = ref_libm_f(n);
            } else {
                f = ref_libm_d(n);
            }
            if (f == nullptr) {
                throw std::logic_error("the test's reference does not know " + n);
            }
            fns.push_back(f);
        }
    }
    void compute(int count, const T* const* in, T* const* out) {
        for (std::size_t k = 0; k < fns.size(); ++k) {
            for (int i = 0; i < count; ++i) {
                out[k][i] = fns[k](in[0][i], in[1][i]);
            }
        }
    }
};

} // namespace

std::vector<std::string> libm_pattern_functions(Type real) {
    std::vector<std::string> names;
    for (const MathFunction& f : math_functions()) {
        if (precision_matches(f.signature, real)) {
            names.emplace_back(f.name);
        }
    }
    return names;
}

const std::vector<Pattern>& patterns() {
    static const std::vector<Pattern> kPatterns = {
        {"constant", 1, false, false, make_constant, reference<ConstantDsp>},
        {"recursion", 1, false, false, make_recursion, reference<RecursionDsp>},
        {"delay", 1, false, false, make_delay, reference<DelayDsp>},
        {"sine_table", 1, false, false, make_sine_table, reference<SineTableDsp>},
        {"control", 1, false, true, make_control, reference<ControlDsp>},
        {"noise", 0, false, false, make_noise, reference<NoiseDsp>},
        {"integer_edges", 2, true, false, make_integer_edges, reference<IntegerEdgesDsp>},
        {"libm", 2, true, false, make_libm, reference<LibmDsp>},
    };
    return kPatterns;
}

const Pattern& pattern(const std::string& name) {
    for (const Pattern& p : patterns()) {
        if (name == p.name) {
            return p;
        }
    }
    throw std::logic_error("no pattern " + name);
}

Scenario standard_scenario(const Pattern& p, std::uint32_t seed) {
    Scenario sc;
    sc.sample_rate = 44100;
    sc.blocks = varying_blocks(4000);
    int frames = 0;
    for (int n : sc.blocks) {
        frames += n;
    }
    sc.inputs = random_inputs(p.num_inputs, frames, seed, p.specials);
    if (p.control) {
        for (std::size_t k = 0; k < sc.blocks.size(); ++k) {
            sc.controls.push_back(0.123 * double(k % 9) - 0.2);
        }
    }
    return sc;
}

} // namespace tutti::ir::test_support
