// SPDX-License-Identifier: MIT
#include "jit/jit_engine.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/Analysis/AliasAnalysis.h>
#include <llvm/Analysis/BasicAliasAnalysis.h>
#include <llvm/Analysis/GlobalsModRef.h>
#include <llvm/Analysis/ScopedNoAliasAA.h>
#include <llvm/Analysis/TypeBasedAliasAnalysis.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectTransformLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassInstrumentation.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/StandardInstrumentations.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <vector>

#include "jit/balance_sums.h"

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

/// Every target LLVM was built with, for objects made for another machine.
void initialize_all_targets() {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeAllTargetInfos();
        llvm::InitializeAllTargets();
        llvm::InitializeAllTargetMCs();
        llvm::InitializeAllAsmPrinters();
    });
}

/// The floating point rules and the optimisation level every compilation uses.
void configure(llvm::orc::JITTargetMachineBuilder& jtmb, int opt_level, bool fast_math) {
    llvm::TargetOptions& to = jtmb.getOptions();
    // exact: no FMA contraction, IEEE rules; fast: what libfaust's JIT asks for
    to.AllowFPOpFusion = fast_math ? llvm::FPOpFusion::Fast : llvm::FPOpFusion::Strict;
    to.UnsafeFPMath = fast_math;
    to.NoInfsFPMath = fast_math;
    to.NoNaNsFPMath = fast_math;
    to.NoSignedZerosFPMath = fast_math;
    jtmb.setCodeGenOptLevel(opt_level <= 0   ? llvm::CodeGenOptLevel::None
                            : opt_level == 1 ? llvm::CodeGenOptLevel::Less
                            : opt_level == 2 ? llvm::CodeGenOptLevel::Default
                                             : llvm::CodeGenOptLevel::Aggressive);
}

llvm::orc::JITTargetMachineBuilder host_builder(int opt_level, bool fast_math, std::string& error) {
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
        error = "cannot detect the host target: " + llvm::toString(jtmb.takeError());
        return llvm::orc::JITTargetMachineBuilder(llvm::Triple());
    }
    configure(*jtmb, opt_level, fast_math);
    return std::move(*jtmb);
}

/// LLVM's host features, sorted, "+name" for the enabled, "-name" for the others.
std::vector<std::string> host_features() {
    std::vector<std::string> out;
    for (const auto& f : llvm::sys::getHostCPUFeatures()) {
        out.push_back((f.second ? "+" : "-") + f.first().str());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void optimise(llvm::Module& m, llvm::TargetMachine* tm, int opt_level, bool vectorize_loops,
              bool fast_math) {
    if (opt_level <= 0) {
        return;
    }
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions pto;
    pto.LoopVectorization = vectorize_loops;
    // Functions marked optnone (the code generator's set-up functions past a
    // size) are left alone: without this callback the new pass manager runs
    // every pass on them anyway.
    llvm::PassInstrumentationCallbacks pic;
    llvm::OptNoneInstrumentation optnone(/*DebugLogging=*/false);
    optnone.registerCallbacks(pic);
    llvm::PassBuilder pb(tm, pto, std::nullopt, &pic);
    // The default alias analyses, with type-based first: every state field has
    // a TBAA type of its own (codegen/llvm_codegen.cpp), so TBAA answers most
    // queries between two accesses at once, where BasicAA, asked first, takes
    // them apart GEP by GEP (karplus32: a third of the optimiser's time). The
    // answers are the same (the first definite one counts), only sooner.
    fam.registerPass([tm] {
        llvm::AAManager aa;
        aa.registerFunctionAnalysis<llvm::TypeBasedAA>();
        aa.registerFunctionAnalysis<llvm::ScopedNoAliasAA>();
        aa.registerFunctionAnalysis<llvm::BasicAA>();
        aa.registerModuleAnalysis<llvm::GlobalsAA>();
        if (tm != nullptr) {
            tm->registerDefaultAliasAnalyses(aa);
        }
        return aa;
    });
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
    if (fast_math) {
        for (llvm::Function& f : m) {
            if (!f.isDeclaration() && !f.hasFnAttribute(llvm::Attribute::OptimizeNone)) {
                balance_sums(f); // after Reassociate made every sum one chain
            }
        }
    }
}

/// Instruction selection works on one basic block at a time, and its cost
/// grows faster than the block: on a frame loop of thousands of instructions
/// (graphicEqLab, fdnRev, filterBank) building and ordering the scheduling
/// graph of the one block was most of it (graphicEqLab: 0.09 s of the 0.13 s
/// of isel, of 0.29 s in llc). Cut into parts of `part_instructions`, each part
/// is selected on its own (graphicEqLab: isel 0.14 -> 0.05 s; the register
/// allocator, which now sees values that cross parts, 0.08 -> 0.10 s; its
/// compile 385-420 -> 325 ms of CPU in bench/speed/run.sh). The parts run in
/// the order of the block, one falling through into the next: the same
/// operations in the same order, so the same results bit for bit; only the
/// schedulers' freedom to move work across a cut is gone (graphicEqLab runs
/// faster for it, fdnRev and filterBank the same). Done after optimisation, so
/// the optimiser still sees one block. Measured after optimisation, blocks of
/// at most `huge_block_instructions` stay whole (karplus32, zitaRev,
/// frenchBell: below 510; filterBank 1032, graphicEqLab 2379, fdnRev 3920 in
/// exact mode).
///
/// Not used instead: the instruction selector's "linearize" scheduler (which
/// builds no graph, commit 1b859ed). It keeps no physical register
/// dependencies (LLVM's ScheduleDAGLinearize says so: "may not work for
/// targets with phyreg dependency"): on x86 it may place an instruction that
/// clobbers EFLAGS (an integer sub/and of a delay-line index, a call's stack
/// adjustment) between a compare and the SETcc/Jcc that reads its flags.
/// SAM/virtualAnalog (double) so read stale flags from frame 4097 on; llc
/// -pre-RA-sched=linearize -verify-machineinstrs on its optimised IR reports
/// "Using an undefined physical register" ($eflags at a SETCCr and a JCC_1),
/// the default, source, list-burr, list-hybrid, list-ilp and fast schedulers
/// none.
constexpr std::size_t huge_block_instructions = 750;
constexpr std::size_t part_instructions = 500;

void split_huge_blocks(llvm::Module& m) {
    for (llvm::Function& f : m) {
        if (f.isDeclaration() || f.hasFnAttribute(llvm::Attribute::OptimizeNone)) {
            continue; // fast instruction selection, block by block anyway
        }
        std::vector<llvm::BasicBlock*> huge;
        for (llvm::BasicBlock& b : f) {
            // the entry block keeps its allocas static: never cut
            if (&b != &f.getEntryBlock() && b.size() > huge_block_instructions) {
                huge.push_back(&b);
            }
        }
        for (llvm::BasicBlock* b : huge) {
            // the last part takes the rest: between 1 and 1.5 parts
            // (phis stay at the head of the first part)
            while (std::distance(b->getFirstNonPHIIt(), b->end()) >
                   std::ptrdiff_t(part_instructions + part_instructions / 2)) {
                auto cut = b->getFirstNonPHIIt();
                for (std::size_t i = 0; i < part_instructions; ++i) {
                    ++cut;
                }
                b = b->splitBasicBlock(cut, b->getName() + ".part");
                // A block whose address is taken is not merged into its single
                // predecessor by CodeGenPrepare (which would undo the cut); the
                // address is never used, nothing jumps there but the fall-through.
                llvm::BlockAddress::get(b);
            }
        }
    }
}

} // namespace

CompiledModule::CompiledModule(std::unique_ptr<llvm::orc::LLJIT> jit,
                               std::shared_ptr<const std::string> object)
    : jit_(std::move(jit)), object_(std::move(object)) {
}

CompiledModule::CompiledModule(llvm::orc::LLJIT& shared, llvm::orc::JITDylib& dylib)
    : shared_(&shared), dylib_(&dylib) {
}

CompiledModule::~CompiledModule() {
    if (dylib_ != nullptr) {
        // frees the code and data of this object only
        llvm::consumeError(shared_->getExecutionSession().removeJITDylib(*dylib_));
    }
}

const std::string& CompiledModule::object() const {
    static const std::string none;
    return object_ ? *object_ : none;
}

void* CompiledModule::lookup(std::string_view name, std::string* error) const {
    auto sym = dylib_ != nullptr
                   ? shared_->lookup(*dylib_, llvm::StringRef(name.data(), name.size()))
                   : jit_->lookup(llvm::StringRef(name.data(), name.size()));
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
    optimise(*module, tm->get(), options.opt_level, options.vectorize_loops, options.fast_math);
    split_huge_blocks(*module);
    std::shared_ptr<std::string> object;
    if (options.keep_object) {
        // the object file IRCompileLayer made, on its way to the linker
        object = std::make_shared<std::string>();
        (*jit)->getObjTransformLayer().setTransform(
            [object](std::unique_ptr<llvm::MemoryBuffer> buffer)
                -> llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> {
                *object = buffer->getBuffer().str();
                return buffer;
            });
    }
    if (auto err = (*jit)->addIRModule(
            llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
        return fail("cannot add the module to the JIT: " + llvm::toString(std::move(err)));
    }
    result.module = std::make_unique<CompiledModule>(std::move(*jit), std::move(object));
    return result;
}

ObjectResult emit_object(std::unique_ptr<llvm::LLVMContext> context,
                         std::unique_ptr<llvm::Module> module, const JitOptions& options,
                         const MachineTarget& target) {
    ObjectResult result;
    auto fail = [&](std::string msg) {
        module.reset();
        context.reset();
        result.error = std::move(msg);
        return std::move(result);
    };
    initialize_llvm();
    const llvm::Triple triple(target.triple);
    if (triple.str() != llvm::sys::getProcessTriple()) {
        initialize_all_targets();
    }
    std::string verify_msg;
    llvm::raw_string_ostream vs(verify_msg);
    if (llvm::verifyModule(*module, &vs)) {
        return fail("invalid LLVM module: " + vs.str());
    }
    llvm::orc::JITTargetMachineBuilder jtmb(triple);
    jtmb.setCPU(target.cpu);
    std::vector<std::string> features;
    std::string_view f = target.features;
    while (!f.empty()) {
        std::size_t comma = std::min(f.find(','), f.size());
        if (comma > 0) {
            features.emplace_back(f.substr(0, comma));
        }
        f.remove_prefix(std::min(comma + 1, f.size()));
    }
    jtmb.addFeatures(features);
    configure(jtmb, options.opt_level, options.fast_math);
    jtmb.setRelocationModel(llvm::Reloc::PIC_);
    jtmb.setCodeModel(llvm::CodeModel::Small);
    auto tm = jtmb.createTargetMachine();
    if (!tm) {
        return fail("cannot create the target machine for " + to_string(target) + ": " +
                    llvm::toString(tm.takeError()));
    }
    module->setDataLayout((*tm)->createDataLayout());
    module->setTargetTriple(triple.str());
    optimise(*module, tm->get(), options.opt_level, options.vectorize_loops, options.fast_math);
    split_huge_blocks(*module);
    llvm::SmallVector<char, 0> buffer;
    llvm::raw_svector_ostream os(buffer);
    llvm::legacy::PassManager pm;
    if ((*tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
        return fail("the target " + to_string(target) + " cannot emit object files");
    }
    pm.run(*module);
    module.reset();
    context.reset();
    result.object.assign(buffer.begin(), buffer.end());
    return result;
}

namespace {

/// The process's JIT for loaded objects: made at the first load, never
/// destroyed (objects may be unloaded until the process ends).
llvm::orc::LLJIT* object_jit(std::string& error) {
    static std::mutex mutex;
    static llvm::orc::LLJIT* jit = nullptr;
    std::lock_guard lock(mutex);
    if (jit == nullptr) {
        llvm::orc::JITTargetMachineBuilder jtmb = host_builder(2, false, error);
        if (!error.empty()) {
            return nullptr;
        }
        auto made = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(jtmb).create();
        if (!made) {
            error = "cannot create the JIT: " + llvm::toString(made.takeError());
            return nullptr;
        }
        jit = made->release(); // NOLINT(cppcoreguidelines-owning-memory): lives as long as the
                               // process
    }
    return jit;
}

} // namespace

CompileResult load_object(std::string_view object) {
    CompileResult result;
    initialize_llvm();
    llvm::orc::LLJIT* jit = object_jit(result.error);
    if (jit == nullptr) {
        return result;
    }
    static std::atomic<std::uint64_t> serial{0};
    auto dylib = jit->createJITDylib("tutti-object-" + std::to_string(serial++));
    if (!dylib) {
        result.error = "cannot make a JITDylib: " + llvm::toString(dylib.takeError());
        return result;
    }
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
        llvm::StringRef(object.data(), object.size()), "tutti-object");
    if (auto err = jit->addObjectFile(*dylib, std::move(buffer))) {
        result.error = "cannot add the object to the JIT: " + llvm::toString(std::move(err));
        llvm::consumeError(jit->getExecutionSession().removeJITDylib(*dylib));
        return result;
    }
    result.module = std::make_unique<CompiledModule>(*jit, *dylib);
    return result;
}

MachineTarget host_machine_target() {
    initialize_llvm();
    MachineTarget t;
    t.triple = llvm::sys::getProcessTriple();
    t.cpu = llvm::sys::getHostCPUName().str();
    for (const std::string& f : host_features()) {
        t.features += (t.features.empty() ? "" : ",") + f;
    }
    return t;
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

std::string host_cpu_name() {
    return llvm::sys::getHostCPUName().str();
}

} // namespace tutti::jit

namespace tutti {

MachineTarget host_machine_target() {
    return jit::host_machine_target();
}

} // namespace tutti
