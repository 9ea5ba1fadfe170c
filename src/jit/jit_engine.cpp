// SPDX-License-Identifier: MIT
#include "jit/jit_engine.h"

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <mutex>

namespace tutti::jit {

namespace {

void initialize_llvm() {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        // The machine scheduler builds a dependence graph over each scheduling
        // region; a Faust frame loop is one region of thousands of loads and
        // stores, where the graph's memory maps grew quadratically (fdnRev:
        // 1.0 s of its 1.2 s in llc). A smaller "huge region" threshold makes
        // LLVM reduce those maps early (fdnRev: 0.29 s). Options for
        // experiments come from TUTTI_LLVM_OPTIONS (LLVM's -option syntax).
        const char* args[] = {"tutti", "-dag-maps-huge-region=200"};
        llvm::cl::ParseCommandLineOptions(2, args, "tutti JIT\n", &llvm::errs(),
                                          "TUTTI_LLVM_OPTIONS");
    });
}

llvm::orc::JITTargetMachineBuilder host_builder(int opt_level, bool fast_math, std::string& error) {
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
        error = "cannot detect the host target: " + llvm::toString(jtmb.takeError());
        return llvm::orc::JITTargetMachineBuilder(llvm::Triple());
    }
    llvm::TargetOptions& to = jtmb->getOptions();
    // exact: no FMA contraction, IEEE rules; fast: what libfaust's JIT asks for
    to.AllowFPOpFusion = fast_math ? llvm::FPOpFusion::Fast : llvm::FPOpFusion::Strict;
    to.UnsafeFPMath = fast_math;
    to.NoInfsFPMath = fast_math;
    to.NoNaNsFPMath = fast_math;
    to.NoSignedZerosFPMath = fast_math;
    jtmb->setCodeGenOptLevel(opt_level <= 0   ? llvm::CodeGenOptLevel::None
                             : opt_level == 1 ? llvm::CodeGenOptLevel::Less
                             : opt_level == 2 ? llvm::CodeGenOptLevel::Default
                                              : llvm::CodeGenOptLevel::Aggressive);
    return std::move(*jtmb);
}

void optimise(llvm::Module& m, llvm::TargetMachine* tm, int opt_level, bool vectorize_loops) {
    if (opt_level <= 0) {
        return;
    }
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions pto;
    pto.LoopVectorization = vectorize_loops;
    llvm::PassBuilder pb(tm, pto);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel level = opt_level == 1   ? llvm::OptimizationLevel::O1
                                    : opt_level == 2 ? llvm::OptimizationLevel::O2
                                                     : llvm::OptimizationLevel::O3;
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
    mpm.run(m, mam);
}

} // namespace

CompiledModule::CompiledModule(std::unique_ptr<llvm::orc::LLJIT> jit) : jit_(std::move(jit)) {
}

CompiledModule::~CompiledModule() = default;

void* CompiledModule::lookup(std::string_view name, std::string* error) const {
    auto sym = jit_->lookup(llvm::StringRef(name.data(), name.size()));
    if (!sym) {
        std::string msg = llvm::toString(sym.takeError());
        if (error != nullptr) {
            *error = msg;
        }
        return nullptr;
    }
    return sym->toPtr<void*>();
}

CompileResult compile_module(std::unique_ptr<llvm::LLVMContext> context,
                             std::unique_ptr<llvm::Module> module, const JitOptions& options) {
    CompileResult result;
    // On failure the module must die before its context (parameters are destroyed
    // in an unspecified order).
    auto fail = [&](std::string msg) {
        module.reset();
        context.reset();
        result.error = std::move(msg);
        return std::move(result);
    };
    initialize_llvm();
    std::string verify_msg;
    llvm::raw_string_ostream os(verify_msg);
    if (llvm::verifyModule(*module, &os)) {
        return fail("invalid LLVM module: " + os.str());
    }
    std::string error;
    llvm::orc::JITTargetMachineBuilder jtmb =
        host_builder(options.opt_level, options.fast_math, error);
    if (!error.empty()) {
        return fail(error);
    }
    auto tm = jtmb.createTargetMachine();
    if (!tm) {
        return fail("cannot create the target machine: " + llvm::toString(tm.takeError()));
    }
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(jtmb).create();
    if (!jit) {
        return fail("cannot create the JIT: " + llvm::toString(jit.takeError()));
    }
    module->setDataLayout((*jit)->getDataLayout());
    module->setTargetTriple((*tm)->getTargetTriple().str());
    optimise(*module, tm->get(), options.opt_level, options.vectorize_loops);
    if (auto err = (*jit)->addIRModule(
            llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
        return fail("cannot add the module to the JIT: " + llvm::toString(std::move(err)));
    }
    result.module = std::make_unique<CompiledModule>(std::move(*jit));
    return result;
}

std::string host_cpu_description() {
    initialize_llvm();
    std::string s = llvm::sys::getProcessTriple() + " " + llvm::sys::getHostCPUName().str();
    for (const auto& f : llvm::sys::getHostCPUFeatures()) {
        if (f.second) {
            s += " +" + f.first().str();
        }
    }
    return s;
}

} // namespace tutti::jit
