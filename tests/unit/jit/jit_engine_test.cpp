// SPDX-License-Identifier: MIT
// The ORC wrapper: code runs, libm calls are the process's libm, floating point
// is not contracted into FMAs, integer arithmetic wraps, errors are strings.
#include <gtest/gtest.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "jit/jit_engine.h"

namespace {

using tutti::jit::compile_module;

struct Fresh {
    std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
    std::unique_ptr<llvm::Module> mod = std::make_unique<llvm::Module>("t", *ctx);
};

TEST(Jit, MultiplyAddIsNotContracted) {
    // a*b + c with a = 1+2^-30, b = 1-2^-30, c = -1: a*b rounds to 1, so the
    // unfused result is 0; an FMA would give -2^-60.
    Fresh f;
    auto* d = llvm::Type::getDoubleTy(*f.ctx);
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(d, {d, d, d}, false),
                                      llvm::Function::ExternalLinkage, "madd", f.mod.get());
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(*f.ctx, "entry", fn));
    auto a = fn->getArg(0), x = fn->getArg(1), c = fn->getArg(2);
    b.CreateRet(b.CreateFAdd(b.CreateFMul(a, x), c));
    auto r = compile_module(std::move(f.ctx), std::move(f.mod), {3});
    ASSERT_TRUE(r.module) << r.error;
    auto madd = r.module->function<double (*)(double, double, double)>("madd");
    ASSERT_NE(madd, nullptr);
    double p = 1.0 + std::ldexp(1.0, -30), q = 1.0 - std::ldexp(1.0, -30);
    EXPECT_EQ(madd(p, q, -1.0), 0.0);
    EXPECT_NE(std::fma(p, q, -1.0), 0.0); // the fused result differs, so the test can fail
}

TEST(Jit, LibmCallsUseTheProcessLibm) {
    Fresh f;
    auto* fl = llvm::Type::getFloatTy(*f.ctx);
    auto sinf_fn = f.mod->getOrInsertFunction("sinf", llvm::FunctionType::get(fl, {fl}, false));
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(fl, {fl}, false),
                                      llvm::Function::ExternalLinkage, "s", f.mod.get());
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(*f.ctx, "entry", fn));
    b.CreateRet(b.CreateCall(sinf_fn, {fn->getArg(0)}));
    auto r = compile_module(std::move(f.ctx), std::move(f.mod));
    ASSERT_TRUE(r.module) << r.error;
    auto s = r.module->function<float (*)(float)>("s");
    ASSERT_NE(s, nullptr);
    for (float x : {0.1f, 1.0f, 3.0f, 100.5f, -7.25f, 1e6f}) {
        EXPECT_EQ(s(x), ::sinf(x)) << x;
    }
}

TEST(Jit, IntegerAdditionWraps) {
    Fresh f;
    auto* i32 = llvm::Type::getInt32Ty(*f.ctx);
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(i32, {i32, i32}, false),
                                      llvm::Function::ExternalLinkage, "add", f.mod.get());
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(*f.ctx, "entry", fn));
    b.CreateRet(b.CreateAdd(fn->getArg(0), fn->getArg(1))); // no nsw: wraps
    auto r = compile_module(std::move(f.ctx), std::move(f.mod));
    ASSERT_TRUE(r.module) << r.error;
    auto add = r.module->function<std::int32_t (*)(std::int32_t, std::int32_t)>("add");
    EXPECT_EQ(add(std::numeric_limits<std::int32_t>::max(), 1),
              std::numeric_limits<std::int32_t>::min());
}

TEST(Jit, ErrorsAreReportedNotThrown) {
    Fresh f;
    auto* i32 = llvm::Type::getInt32Ty(*f.ctx);
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(i32, {}, false),
                                      llvm::Function::ExternalLinkage, "broken", f.mod.get());
    llvm::BasicBlock::Create(*f.ctx, "entry", fn); // no terminator: invalid
    auto r = compile_module(std::move(f.ctx), std::move(f.mod));
    EXPECT_FALSE(r.module);
    EXPECT_NE(r.error.find("invalid LLVM module"), std::string::npos) << r.error;

    Fresh g;
    auto* fn2 =
        llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(*g.ctx), {}, false),
                               llvm::Function::ExternalLinkage, "ok", g.mod.get());
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(*g.ctx, "entry", fn2));
    b.CreateRetVoid();
    auto r2 = compile_module(std::move(g.ctx), std::move(g.mod));
    ASSERT_TRUE(r2.module) << r2.error;
    std::string err;
    EXPECT_EQ(r2.module->lookup("missing", &err), nullptr);
    EXPECT_FALSE(err.empty());
}

TEST(Jit, ManyModulesCanBeCreatedAndFreed) {
    for (int i = 0; i < 20; ++i) {
        Fresh f;
        auto* i32 = llvm::Type::getInt32Ty(*f.ctx);
        auto* fn = llvm::Function::Create(llvm::FunctionType::get(i32, {}, false),
                                          llvm::Function::ExternalLinkage, "k", f.mod.get());
        llvm::IRBuilder<> b(llvm::BasicBlock::Create(*f.ctx, "entry", fn));
        b.CreateRet(b.getInt32(std::uint32_t(i)));
        auto r = compile_module(std::move(f.ctx), std::move(f.mod));
        ASSERT_TRUE(r.module) << r.error;
        EXPECT_EQ(r.module->function<std::int32_t (*)()>("k")(), i);
    }
    EXPECT_FALSE(tutti::jit::host_cpu_description().empty());
}

} // namespace
