// SPDX-License-Identifier: MIT
#include "codegen/llvm_codegen.h"

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "codegen/single_assignment.h"
#include "ir/constant_slots.h"
#include "ir/ir_verifier.h"
#include "ir/math_functions.h"

namespace tutti::codegen {

namespace {

using ir::Expr;
using ir::ExprKind;
using ir::Op;
using ir::Stmt;
using ir::StmtKind;
using ir::Type;

/// Calls that become LLVM intrinsics: exactly rounded operations, whose result
/// every correct implementation (libm or instruction) gives bit for bit.
llvm::Intrinsic::ID intrinsic_for(std::string_view name) {
    static constexpr std::pair<std::string_view, llvm::Intrinsic::ID> kExact[] = {
        {"fabsf", llvm::Intrinsic::fabs},         {"fabs", llvm::Intrinsic::fabs},
        {"sqrtf", llvm::Intrinsic::sqrt},         {"sqrt", llvm::Intrinsic::sqrt},
        {"floorf", llvm::Intrinsic::floor},       {"floor", llvm::Intrinsic::floor},
        {"ceilf", llvm::Intrinsic::ceil},         {"ceil", llvm::Intrinsic::ceil},
        {"rintf", llvm::Intrinsic::rint},         {"rint", llvm::Intrinsic::rint},
        {"roundf", llvm::Intrinsic::round},       {"round", llvm::Intrinsic::round},
        {"copysignf", llvm::Intrinsic::copysign}, {"copysign", llvm::Intrinsic::copysign},
    };
    for (const auto& [n, id] : kExact) {
        if (n == name) {
            return id;
        }
    }
    return llvm::Intrinsic::not_intrinsic;
}

class Emitter {
public:
    /// `triple`: the machine the code is for (the host's when empty): x86's
    /// truncating conversions are used only there.
    /// `slots` (ir/constant_slots.h): every real constant is read from the
    /// block each function takes as its last argument.
    Emitter(const ir::Module& m, llvm::LLVMContext& ctx, llvm::Module& mod, bool fast_math,
            const std::string& triple, const ir::ConstantSlots* slots = nullptr)
        : m_(m), ctx_(ctx), mod_(mod), b_(ctx), fast_math_(fast_math), slots_(slots) {
        if (fast_math) {
            b_.setFastMathFlags(llvm::FastMathFlags::getFast()); // every float op the builder makes
        }
        x86_ = llvm::Triple(triple.empty() ? llvm::sys::getProcessTriple() : triple).isX86();
        // Type-based alias information: each state field is a type of its own,
        // the audio buffers another, so LLVM knows that a store into one delay
        // line leaves every other field as it was (constants and coefficients
        // stay in registers across the frame loop; loop IR indexes are in range,
        // ir/loop_ir.h). The buffers share one tag: an input may be an output.
        llvm::MDBuilder md(ctx);
        llvm::MDNode* root = md.createTBAARoot("tutti state");
        field_tags_.reserve(m.fields.size());
        field_gen_.assign(m.fields.size(), 0);
        for (const ir::Field& f : m.fields) {
            llvm::MDNode* t = md.createTBAAScalarTypeNode(f.name, root);
            field_tags_.push_back(md.createTBAAStructTagNode(t, t, 0));
        }
        llvm::MDNode* io = md.createTBAAScalarTypeNode("audio buffers", root);
        io_tag_ = md.createTBAAStructTagNode(io, io, 0);
        llvm::MDNode* cs = md.createTBAAScalarTypeNode("constant slots", root);
        slots_tag_ = md.createTBAAStructTagNode(cs, cs, 0, /*isConstant=*/true);
        i8_ = llvm::Type::getInt8Ty(ctx);
        i32_ = llvm::Type::getInt32Ty(ctx);
        i64_ = llvm::Type::getInt64Ty(ctx);
        ptr_ = llvm::PointerType::getUnqual(ctx);
        void_ = llvm::Type::getVoidTy(ctx);
    }

    void module() {
        function("tutti_init_constants", m_.init_constants, {ptr_, i32_});
        function("tutti_reset_controls", m_.reset_controls, {ptr_});
        function("tutti_clear_state", m_.clear_state, {ptr_});
        function("tutti_compute", m_.compute, {ptr_, i32_, ptr_, ptr_});
    }

private:
    llvm::Type* type(Type t) const {
        switch (t) {
        case Type::I32:
            return i32_;
        case Type::F32:
            return llvm::Type::getFloatTy(ctx_);
        case Type::F64:
            return llvm::Type::getDoubleTy(ctx_);
        }
        return i32_;
    }

    static llvm::Align align(Type t) {
        return llvm::Align(ir::type_size(t));
    }

    void function(const char* name, const ir::Function& f, std::vector<llvm::Type*> params) {
        consts_ = nullptr;
        const std::size_t nparams = params.size();
        if (slots_ != nullptr) {
            params.push_back(ptr_); // the slots block: an extra, last argument
        }
        auto* fty = llvm::FunctionType::get(void_, params, false);
        fn_ = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, mod_);
        fn_->setDoesNotThrow();
        fn_->addParamAttr(0, llvm::Attribute::NoAlias);
        fn_->addParamAttr(0, llvm::Attribute::NoCapture);
        state_ = fn_->getArg(0);
        state_->setName("state");
        arg_ = nparams > 1 ? fn_->getArg(1) : nullptr;
        inputs_ = nparams > 2 ? fn_->getArg(2) : nullptr;
        outputs_ = nparams > 3 ? fn_->getArg(3) : nullptr;
        if (arg_ != nullptr) {
            arg_->setName(nparams > 2 ? "count" : "sample_rate");
        }
        if (slots_ != nullptr) {
            fn_->addParamAttr(unsigned(nparams), llvm::Attribute::NoAlias);
            fn_->addParamAttr(unsigned(nparams), llvm::Attribute::NoCapture);
            fn_->addParamAttr(unsigned(nparams), llvm::Attribute::ReadOnly);
            consts_ = fn_->getArg(unsigned(nparams));
            consts_->setName("constants");
        }
        if (inputs_ != nullptr) {
            inputs_->setName("inputs");
            outputs_->setName("outputs");
        }
        fn_locals_ = &f;
        entry_ = llvm::BasicBlock::Create(ctx_, "entry", fn_);
        b_.SetInsertPoint(entry_);
        // Locals set once and read after: SSA values; the others: stack slots,
        // which start at zero (ir/interpreter.h).
        ssa_local_ = single_assignment_locals(f);
        ssa_values_.assign(f.locals.size(), nullptr);
        locals_.assign(f.locals.size(), nullptr);
        for (std::size_t i = 0; i < f.locals.size(); ++i) {
            if (!ssa_local_[i]) {
                locals_[i] = b_.CreateAlloca(type(f.locals[i].type), nullptr, f.locals[i].name);
            }
        }
        for (std::size_t i = 0; i < f.locals.size(); ++i) {
            if (!ssa_local_[i]) {
                b_.CreateAlignedStore(llvm::Constant::getNullValue(type(f.locals[i].type)),
                                      locals_[i], align(f.locals[i].type));
            }
        }
        loops_.clear();
        frame_ = nullptr;
        forget_fields();
        block(f.body);
        b_.CreateRetVoid();
        // The three set-up functions (init_constants, reset_controls,
        // clear_state) run once per instance, off the audio thread: they go to
        // machine code as written, unoptimised. The optimiser would save
        // microseconds of their run time for milliseconds of compile time
        // (graphicEqLab's init_constants: 7900 straight-line lines, 40% of its
        // LLVM time; fdnRev's clear_state: 8000 lines of small loops), more
        // than it gains even on table loops (osc's 65536 sines: compile plus
        // init 22 -> 17 ms; frenchBell 210 -> 144 ms).
        if (std::string_view(name) != "tutti_compute") {
            fn_->addFnAttr(llvm::Attribute::NoInline);
            fn_->addFnAttr(llvm::Attribute::OptimizeNone);
        }
    }

    /// `for (i = a; i < b; ++i) field[i] = 0;` (clear_state's shape) as one
    /// memset of the elements a..b-1 (all bits zero: integer 0 or +0.0): the
    /// unoptimised clear_state then zeroes its delay lines with memset rather
    /// than element by element, and the code generator sees a few calls
    /// instead of hundreds of small loops. false: not that shape, nothing emitted.
    bool zero_fill(const Stmt* s) {
        if (s->body.size() != 1 || s->value == nullptr || s->to == nullptr ||
            s->value->kind != ExprKind::Const || s->to->kind != ExprKind::Const) {
            return false;
        }
        const Stmt* set = s->body[0];
        if (set->kind != StmtKind::SetField || set->element == nullptr ||
            set->element->kind != ExprKind::LoopVar || set->element->index != s->loop_id ||
            set->value->kind != ExprKind::Const) {
            return false;
        }
        const Expr* v = set->value;
        const bool zero =
            v->type == Type::I32 ? v->ival == 0 : (v->rval == 0 && !std::signbit(v->rval));
        const std::int64_t from = s->value->ival;
        const std::int64_t to = s->to->ival;
        const ir::Field& f = m_.fields[set->index];
        if (!zero || from < 0 || to <= from || std::uint64_t(to) > f.count) {
            return false;
        }
        const std::uint64_t size = ir::type_size(f.type);
        llvm::Value* at = b_.CreateConstInBoundsGEP1_64(
            i8_, state_, f.offset + std::uint64_t(from) * size, f.name);
        b_.CreateMemSet(at, b_.getInt8(0), std::uint64_t(to - from) * size, align(f.type))
            ->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[set->index]);
        return true;
    }

    llvm::AllocaInst* entry_alloca(llvm::Type* t, const llvm::Twine& name) {
        llvm::IRBuilder<> eb(entry_, entry_->begin());
        return eb.CreateAlloca(t, nullptr, name);
    }

    /// Field elements at constant indexes whose value is known in the current
    /// block: the value last stored or loaded there. A load of one is that value,
    /// not another load: "rec[1] = rec[0]" after "rec[0] = x" moves x, as LLVM's
    /// GVN would, were it not limited to the 100 instructions before a load (a
    /// Faust frame is thousands): otherwise the SLP vectoriser pairs such moves
    /// into 8-byte loads of two fields just stored 4 bytes apiece, which no
    /// store forwarding serves (frenchBell: 20 of them per frame).
    struct KnownField {
        llvm::Value* value = nullptr;
        std::uint32_t epoch = 0;     ///< of the block: forget_fields() starts a new one
        std::uint32_t field_gen = 0; ///< a store at an unknown index makes a new one
    };

    /// The element's index when it is a constant (no element: 0).
    static std::optional<std::uint32_t> constant_element(const Expr* element) {
        if (element == nullptr) {
            return 0u;
        }
        if (element->kind == ExprKind::Const && element->type == Type::I32) {
            return static_cast<std::uint32_t>(element->ival);
        }
        return std::nullopt;
    }

    static std::uint64_t field_key(std::uint32_t field, std::uint32_t element) {
        return (std::uint64_t(field) << 32) | element;
    }

    llvm::Value* known_field(std::uint32_t field, const Expr* element, llvm::Type* t,
                             std::optional<std::uint32_t> i = std::nullopt) const {
        if (!i) {
            i = constant_element(element);
        }
        if (!i) {
            return nullptr;
        }
        auto it = known_fields_.find(field_key(field, *i));
        if (it == known_fields_.end() || it->second.epoch != epoch_ ||
            it->second.field_gen != field_gen_[field] || it->second.value->getType() != t) {
            return nullptr;
        }
        return it->second.value;
    }

    void remember_field(std::uint32_t field, const Expr* element, llvm::Value* v) {
        std::optional<std::uint32_t> i = constant_element(element);
        if (!i) {
            ++field_gen_[field]; // any element may have changed
            return;
        }
        known_fields_[field_key(field, *i)] = KnownField{v, epoch_, field_gen_[field]};
    }

    /// At the start of each basic block: values of another may not dominate it.
    void forget_fields() {
        ++epoch_;
    }

    void block(std::span<const Stmt* const> body) {
        for (const Stmt* s : body) {
            stmt(s);
        }
    }

    llvm::Value* field_address(std::uint32_t index, const Expr* element) {
        const ir::Field& f = m_.fields[index];
        llvm::Value* base = b_.CreateConstInBoundsGEP1_64(i8_, state_, f.offset, f.name);
        if (element == nullptr) {
            return base;
        }
        llvm::Value* i = b_.CreateSExt(expr(element), i64_);
        return b_.CreateInBoundsGEP(type(f.type), base, i);
    }

    /// SoundInfo / SoundSample: through the `SoundData*` (ir/sound_data.h) held
    /// by the Sound field: info at byte 0, the channel pointers at byte 8.
    llvm::Value* sound(const Expr* e) {
        llvm::Type* ptr = b_.getPtrTy();
        llvm::LoadInst* data =
            b_.CreateAlignedLoad(ptr, field_address(e->index, nullptr), llvm::Align(8), "sound");
        data->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[e->index]);
        llvm::Value* at = b_.CreateSExt(expr(e->a[0]), i64_);
        if (e->kind == ExprKind::SoundInfo) {
            llvm::Value* info = b_.CreateAlignedLoad(ptr, data, llvm::Align(8), "sound.info");
            llvm::Value* i = b_.CreateAdd(at, b_.getInt64(std::uint64_t(e->ival) * 256u));
            return b_.CreateAlignedLoad(i32_, b_.CreateInBoundsGEP(i32_, info, i), llvm::Align(4));
        }
        llvm::Value* buffers = b_.CreateAlignedLoad(
            ptr, b_.CreateConstInBoundsGEP1_64(i8_, data, 8), llvm::Align(8), "sound.buffers");
        llvm::Value* channel = b_.CreateAlignedLoad(
            ptr, b_.CreateConstInBoundsGEP1_64(ptr, buffers, std::uint64_t(e->ival)),
            llvm::Align(8));
        return b_.CreateAlignedLoad(type(m_.real), b_.CreateInBoundsGEP(type(m_.real), channel, at),
                                    align(m_.real));
    }

    llvm::Value* sample_address(const std::vector<llvm::Value*>& channels, std::uint32_t c) {
        llvm::Value* frame = b_.CreateAlignedLoad(i32_, frame_, llvm::Align(4), "frame");
        return b_.CreateInBoundsGEP(type(m_.real), channels[c], b_.CreateSExt(frame, i64_));
    }

    void stmt(const Stmt* s) {
        switch (s->kind) {
        case StmtKind::SetLocal: {
            Type t = fn_locals_->locals[s->index].type;
            llvm::Value* v = expr(s->value);
            if (ssa_local_[s->index]) {
                auto* inst = llvm::dyn_cast<llvm::Instruction>(v);
                if (inst != nullptr && !inst->hasName()) {
                    inst->setName(fn_locals_->locals[s->index].name);
                }
                ssa_values_[s->index] = v;
                return;
            }
            b_.CreateAlignedStore(v, locals_[s->index], align(t));
            return;
        }
        case StmtKind::SetField: {
            llvm::Value* v = expr(s->value);
            if (promoting_ && promoted(s->index, s->element)) {
                remember_field(s->index, s->element, v); // stored after the loop
                return;
            }
            llvm::Value* p = field_address(s->index, s->element);
            b_.CreateAlignedStore(v, p, align(m_.fields[s->index].type))
                ->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[s->index]);
            remember_field(s->index, s->element, v);
            return;
        }
        case StmtKind::SetOutput: {
            llvm::Value* v = expr(s->value);
            b_.CreateAlignedStore(v, sample_address(out_ptrs_, s->index), align(m_.real))
                ->setMetadata(llvm::LLVMContext::MD_tbaa, io_tag_);
            return;
        }
        case StmtKind::For: {
            if (zero_fill(s)) {
                return;
            }
            llvm::AllocaInst* var = entry_alloca(i32_, "i" + llvm::Twine(s->loop_id));
            llvm::Value* from = expr(s->value);
            llvm::Value* to = expr(s->to);
            b_.CreateAlignedStore(from, var, llvm::Align(4));
            loops_.emplace_back(s->loop_id, var);
            loop(var, to, s->body, "for" + std::to_string(s->loop_id));
            loops_.pop_back();
            return;
        }
        case StmtKind::FrameLoop: {
            std::optional<const Expr*> cond = version_condition(s->body);
            std::optional<std::uint64_t> c = cond ? condition_key(*cond) : std::nullopt;
            llvm::Value* v = nullptr;
            if (c && *c >> 32 == 0) {
                auto l = std::uint32_t(*c);
                v = ssa_local_[l] ? ssa_values_[l]
                                  : b_.CreateAlignedLoad(i32_, locals_[l], llvm::Align(4));
            } else if (c) {
                v = expr(*cond); // a control the body does not write: as the first frame reads it
            }
            if (v == nullptr) {
                frame_loop(s);
                return;
            }
            auto* on = llvm::BasicBlock::Create(ctx_, "frames.on", fn_);
            auto* off = llvm::BasicBlock::Create(ctx_, "frames.off", fn_);
            auto* end = llvm::BasicBlock::Create(ctx_, "frames.end", fn_);
            b_.CreateCondBr(b_.CreateICmpNE(v, b_.getInt32(0)), on, off);
            for (bool value : {true, false}) {
                b_.SetInsertPoint(value ? on : off);
                forget_fields();
                forced_ = std::pair(*c, value);
                frame_loop(s);
                b_.CreateBr(end);
            }
            forced_.reset();
            b_.SetInsertPoint(end);
            forget_fields();
            return;
        }
        case StmtKind::If: {
            llvm::Value* c = b_.CreateICmpNE(expr(s->cond), b_.getInt32(0));
            auto* then_bb = llvm::BasicBlock::Create(ctx_, "then", fn_);
            auto* else_bb = llvm::BasicBlock::Create(ctx_, "else", fn_);
            auto* end_bb = llvm::BasicBlock::Create(ctx_, "endif", fn_);
            b_.CreateCondBr(c, then_bb, else_bb);
            b_.SetInsertPoint(then_bb);
            forget_fields();
            block(s->body);
            b_.CreateBr(end_bb);
            b_.SetInsertPoint(else_bb);
            forget_fields();
            block(s->else_body);
            b_.CreateBr(end_bb);
            b_.SetInsertPoint(end_bb);
            forget_fields();
            return;
        }
        }
    }

    /// The frame loop: the channel pointers and the promoted state loaded
    /// before the first frame, the body once per frame.
    void frame_loop(const Stmt* s) {
        frame_ = entry_alloca(i32_, "frame.addr");
        b_.CreateAlignedStore(b_.getInt32(0), frame_, llvm::Align(4));
        // The channel pointers are loaded once, and only when there is a frame
        // (like the interpreter, which never reads the arrays for count <= 0).
        auto load_channels = [this] {
            in_ptrs_.clear();
            out_ptrs_.clear();
            for (std::uint32_t c = 0; c < m_.num_inputs; ++c) {
                llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(ptr_, inputs_, c);
                in_ptrs_.push_back(
                    b_.CreateAlignedLoad(ptr_, slot, llvm::Align(8), "in" + llvm::Twine(c)));
            }
            for (std::uint32_t c = 0; c < m_.num_outputs; ++c) {
                llvm::Value* slot = b_.CreateConstInBoundsGEP1_64(ptr_, outputs_, c);
                out_ptrs_.push_back(
                    b_.CreateAlignedLoad(ptr_, slot, llvm::Align(8), "out" + llvm::Twine(c)));
            }
        };
        plan_promotion(s->body);
        auto preheader = [this, &load_channels] {
            load_channels();
            for (Promoted& p : promoted_) {
                const ir::Field& f = m_.fields[p.field];
                llvm::Value* base = b_.CreateConstInBoundsGEP1_64(i8_, state_, f.offset, f.name);
                p.address = b_.CreateConstInBoundsGEP1_64(type(f.type), base, p.element);
                llvm::LoadInst* l = b_.CreateAlignedLoad(type(f.type), p.address, align(f.type));
                l->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[p.field]);
                p.initial = l;
            }
        };
        promoting_ = !promoted_.empty();
        loop(frame_, arg_, s->body, "frames", preheader);
        promoting_ = false;
        promoted_.clear();
        promoted_index_.clear();
        frame_ = nullptr;
    }

    /// Loop unswitching (LLVM does it only at -O3, and not on selects): a
    /// frame loop that calls a library function and selects on a local set
    /// before the loop, or on a control the loop does not write (a gate, a
    /// bypass switch: condition_key), is emitted
    /// twice, under `if (local)`, each copy with that choice made: what
    /// depended on the other branch becomes loop-invariant, and LICM takes it
    /// out of the loop (FMSynth2_FX: the release's expf while the gate is off).
    /// The same operations on the same values: exact in both math modes.
    std::optional<const Expr*> version_condition(std::span<const Stmt* const> body) const {
        if (body.size() > max_versioned_statements) {
            return std::nullopt;
        }
        std::vector<bool> assigned(fn_locals_->locals.size(), false);
        std::vector<bool> written(m_.fields.size(), false);
        for (const Stmt* s : body) {
            if (s->kind == StmtKind::SetLocal) {
                assigned[s->index] = true;
            } else if (s->kind == StmtKind::SetField) {
                written[s->index] = true;
            } else if (s->kind != StmtKind::SetOutput) {
                return std::nullopt;
            }
        }
        bool calls = false;
        std::optional<const Expr*> condition;
        std::unordered_set<const Expr*> seen;
        std::function<void(const Expr*)> visit = [&](const Expr* e) {
            if (e == nullptr || !seen.insert(e).second) {
                return;
            }
            if (e->kind == ExprKind::Call) {
                const ir::MathFunction* f = ir::find_math_function(e->callee);
                calls = calls || f == nullptr ||
                        intrinsic_for(f->name) == llvm::Intrinsic::not_intrinsic;
            } else if (e->kind == ExprKind::Select && !condition) {
                std::optional<std::uint64_t> k = condition_key(e->a[0]);
                if (k &&
                    (*k >> 32 == 0 ? !assigned[std::uint32_t(*k)] : !written[std::uint32_t(*k)])) {
                    condition = e->a[0];
                }
            }
            for (const Expr* a : e->a) {
                visit(a);
            }
        };
        for (const Stmt* s : body) {
            visit(s->element);
            visit(s->value);
        }
        return calls ? condition : std::nullopt;
    }

    /// Past this many statements a frame loop is not versioned: its code, and
    /// the optimiser's time on it, would double (filterBank's 1500 statements:
    /// compile 120 -> 210 ms, run 183 -> 137 ns per frame with its bypass
    /// switch toggled; graphicEqLab's 3450: twice the compile time, no gain).
    static constexpr std::size_t max_versioned_statements = 2000;

    /// What a select's condition tests, `x` or `x != 0`: an I32 local `l`
    /// (the key l), or a scalar field `f` read as I32 or through FtoI (a
    /// control: a checkbox, a switch; the key 1 << 32 | f, 2 << 32 | f). Equal keys, equal
    /// conditions (at one point of a body that sets neither).
    static std::optional<std::uint64_t> condition_key(const Expr* c) {
        if (c->kind == ExprKind::Binary && c->op == Op::Ne && c->a[1]->kind == ExprKind::Const &&
            c->a[1]->type == Type::I32 && c->a[1]->ival == 0) {
            c = c->a[0];
        }
        if (c->kind == ExprKind::Local && c->type == Type::I32) {
            return c->index;
        }
        std::uint64_t kind = 1;
        if (c->kind == ExprKind::Unary && c->op == Op::FtoI) {
            c = c->a[0];
            kind = 2;
        } else if (c->type != Type::I32) {
            return std::nullopt;
        }
        if (c->kind == ExprKind::Field && c->a.empty()) {
            return kind << 32 | c->index;
        }
        return std::nullopt;
    }

    /// while (*var < bound) { body; *var += 1; }, with `preheader` (when given)
    /// emitted once before the first iteration, only if there is one.
    ///
    /// Emitted in rotated form (a test before the first iteration, then the test
    /// at the end of each), which is what LLVM's loop passes want: left to
    /// LoopRotate, a loop with a body of thousands of instructions cost seconds.
    void loop(llvm::AllocaInst* var, llvm::Value* bound, std::span<const Stmt* const> body,
              const std::string& name, const std::function<void()>& preheader = {}) {
        auto* body_bb = llvm::BasicBlock::Create(ctx_, name + ".body", fn_);
        auto* exit = llvm::BasicBlock::Create(ctx_, name + ".exit", fn_);
        llvm::Value* first = b_.CreateAlignedLoad(i32_, var, llvm::Align(4));
        if (preheader) {
            auto* pre = llvm::BasicBlock::Create(ctx_, name + ".pre", fn_);
            b_.CreateCondBr(b_.CreateICmpSLT(first, bound), pre, exit);
            b_.SetInsertPoint(pre);
            preheader();
            b_.CreateBr(body_bb);
        } else {
            b_.CreateCondBr(b_.CreateICmpSLT(first, bound), body_bb, exit);
        }
        llvm::BasicBlock* entry_edge = b_.GetInsertBlock();
        b_.SetInsertPoint(body_bb);
        forget_fields();
        const bool promoting = promoting_;
        promoting_ = false; // not in nested loops (there are none when promoting)
        if (promoting) {
            for (Promoted& p : promoted_) {
                llvm::Value* v = p.initial;
                if (p.written) {
                    p.phi = b_.CreatePHI(p.initial->getType(), 2, m_.fields[p.field].name);
                    p.phi->addIncoming(p.initial, entry_edge);
                    v = p.phi;
                }
                known_fields_[field_key(p.field, p.element)] =
                    KnownField{v, epoch_, field_gen_[p.field]};
            }
        }
        promoting_ = promoting;
        block(body);
        llvm::Value* cur = b_.CreateAlignedLoad(i32_, var, llvm::Align(4));
        // cur < bound <= INT_MAX, so cur + 1 does not wrap; still no nsw, as everywhere.
        llvm::Value* next = b_.CreateAdd(cur, b_.getInt32(1));
        b_.CreateAlignedStore(next, var, llvm::Align(4));
        if (promoting) {
            // the body is one block (plan_promotion): every value is known here
            llvm::BasicBlock* latch = b_.GetInsertBlock();
            std::vector<llvm::Value*> last;
            for (Promoted& p : promoted_) {
                if (p.written) {
                    llvm::Value* v = known_field(p.field, nullptr, p.initial->getType(), p.element);
                    v = v != nullptr ? v : p.phi; // (always known: one block)
                    p.phi->addIncoming(v, latch);
                    last.push_back(v);
                }
            }
            auto* done = llvm::BasicBlock::Create(ctx_, name + ".done", fn_);
            b_.CreateCondBr(b_.CreateICmpSLT(next, bound), body_bb, done);
            b_.SetInsertPoint(done);
            std::size_t k = 0;
            for (Promoted& p : promoted_) {
                if (p.written) {
                    b_.CreateAlignedStore(last[k++], p.address, align(m_.fields[p.field].type))
                        ->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[p.field]);
                }
            }
            b_.CreateBr(exit);
        } else {
            b_.CreateCondBr(b_.CreateICmpSLT(next, bound), body_bb, exit);
        }
        b_.SetInsertPoint(exit);
        forget_fields();
    }

    /// Frame-loop state in registers (what LLVM's LICM would do, were it not
    /// limited to 250 memory accesses per loop): each field element the frame
    /// loop reads or writes at a constant index only, in a body of one block, is
    /// loaded once before the first frame, carried from frame to frame as a
    /// value, and stored once after the last. The same values, bit for bit; no
    /// store and reload of every recursion's state per frame.
    struct Promoted {
        std::uint32_t field = 0;
        std::uint32_t element = 0;
        bool written = false;
        llvm::Value* address = nullptr;
        llvm::Value* initial = nullptr;
        llvm::PHINode* phi = nullptr;
    };

    bool promoted(std::uint32_t field, const Expr* element) const {
        std::optional<std::uint32_t> i = constant_element(element);
        return i && promoted_index_.count(field_key(field, *i)) != 0;
    }

    void plan_promotion(std::span<const Stmt* const> body) {
        promoted_.clear();
        promoted_index_.clear();
        std::unordered_map<std::uint64_t, bool> used; // element -> written
        std::vector<std::uint64_t> order;
        std::vector<bool> dynamic(m_.fields.size(), false);
        std::unordered_set<const Expr*> seen;
        auto access = [&](std::uint32_t field, const Expr* element, bool write) {
            std::optional<std::uint32_t> i = constant_element(element);
            if (!i) {
                dynamic[field] = true;
                return;
            }
            auto [it, fresh] = used.emplace(field_key(field, *i), write);
            if (fresh) {
                order.push_back(it->first);
            }
            it->second = it->second || write;
        };
        std::function<void(const Expr*)> visit = [&](const Expr* e) {
            if (e == nullptr || !seen.insert(e).second) {
                return;
            }
            if (e->kind == ExprKind::Field) {
                access(e->index, e->a.empty() ? nullptr : e->a[0], false);
                if (e->type != m_.fields[e->index].type) {
                    dynamic[e->index] = true; // read as another type: left in memory
                }
            } else if (e->kind == ExprKind::SoundInfo || e->kind == ExprKind::SoundSample) {
                dynamic[e->index] = true;
            }
            for (const Expr* a : e->a) {
                visit(a);
            }
        };
        for (const Stmt* s : body) {
            switch (s->kind) {
            case StmtKind::SetLocal:
            case StmtKind::SetOutput:
                visit(s->value);
                break;
            case StmtKind::SetField:
                visit(s->element);
                visit(s->value);
                access(s->index, s->element, true);
                break;
            default:
                return; // a body of more than one block: nothing promoted
            }
        }
        for (std::uint64_t key : order) {
            auto field = std::uint32_t(key >> 32);
            if (dynamic[field]) {
                continue;
            }
            promoted_index_.insert(key);
            promoted_.push_back(Promoted{field, std::uint32_t(key), used[key]});
        }
    }

    llvm::Value* constant(const Expr* e) {
        if (consts_ != nullptr && e->type != Type::I32) {
            // a slot: loaded, never written while the code runs (hoisted out of loops)
            auto it = slots_->slot.find(e);
            if (it != slots_->slot.end()) {
                llvm::Value* p = b_.CreateConstInBoundsGEP1_64(i8_, consts_, 8 * it->second);
                llvm::LoadInst* l = b_.CreateAlignedLoad(type(e->type), p, align(e->type));
                l->setMetadata(llvm::LLVMContext::MD_tbaa, slots_tag_);
                l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(ctx_, {}));
                return l;
            }
        }
        switch (e->type) {
        case Type::I32:
            return b_.getInt32(static_cast<std::uint32_t>(e->ival));
        case Type::F32:
            return llvm::ConstantFP::get(ctx_, llvm::APFloat(static_cast<float>(e->rval)));
        case Type::F64:
            return llvm::ConstantFP::get(ctx_, llvm::APFloat(e->rval));
        }
        return nullptr;
    }

    llvm::Value* expr(const Expr* e) {
        switch (e->kind) {
        case ExprKind::Const:
            return constant(e);
        case ExprKind::Local:
            if (ssa_local_[e->index]) {
                return ssa_values_[e->index]; // set before: single_assignment.h
            }
            return b_.CreateAlignedLoad(type(e->type), locals_[e->index], align(e->type));
        case ExprKind::Field: {
            const Expr* element = e->a.empty() ? nullptr : e->a[0];
            if (llvm::Value* v = known_field(e->index, element, type(e->type))) {
                return v;
            }
            llvm::Value* p = field_address(e->index, element);
            llvm::LoadInst* l = b_.CreateAlignedLoad(type(e->type), p, align(e->type));
            l->setMetadata(llvm::LLVMContext::MD_tbaa, field_tags_[e->index]);
            remember_field(e->index, element, l);
            return l;
        }
        case ExprKind::Input: {
            llvm::LoadInst* l = b_.CreateAlignedLoad(
                type(m_.real), sample_address(in_ptrs_, e->index), align(m_.real));
            l->setMetadata(llvm::LLVMContext::MD_tbaa, io_tag_);
            return l;
        }
        case ExprKind::SampleRate:
        case ExprKind::Count:
            return arg_;
        case ExprKind::FrameIndex:
            return b_.CreateAlignedLoad(i32_, frame_, llvm::Align(4));
        case ExprKind::LoopVar:
            for (auto it = loops_.rbegin(); it != loops_.rend(); ++it) {
                if (it->first == e->index) {
                    return b_.CreateAlignedLoad(i32_, it->second, llvm::Align(4));
                }
            }
            return b_.getInt32(0); // unreachable for a verified module
        case ExprKind::Unary:
            return unary(e->op, expr(e->a[0]), e->a[0]->type, e->type);
        case ExprKind::Binary:
            return binary(e->op, expr(e->a[0]), expr(e->a[1]), e->a[0]->type);
        case ExprKind::Call:
            return call(e);
        case ExprKind::SoundInfo:
        case ExprKind::SoundSample:
            return sound(e);
        case ExprKind::Select: {
            if (forced_ && condition_key(e->a[0]) == forced_->first) {
                return expr(forced_->second ? e->a[1] : e->a[2]); // version_condition
            }
            llvm::Value* c = b_.CreateICmpNE(expr(e->a[0]), b_.getInt32(0));
            llvm::Value* x = expr(e->a[1]);
            llvm::Value* y = expr(e->a[2]);
            return b_.CreateSelect(c, x, y);
        }
        }
        return nullptr;
    }

    llvm::Value* unary(Op op, llvm::Value* x, Type from, Type to) {
        switch (op) {
        case Op::Neg:
            return from == Type::I32 ? b_.CreateSub(b_.getInt32(0), x) : b_.CreateFNeg(x);
        case Op::FtoI: {
            if (x86_) { // cvttss2si/cvttsd2si: INT_MIN out of range and for NaN, as specified
                bool dbl = from == Type::F64;
                auto* vt = llvm::FixedVectorType::get(type(from), dbl ? 2 : 4);
                llvm::Value* v =
                    b_.CreateInsertElement(llvm::Constant::getNullValue(vt), x, std::uint64_t(0));
                return b_.CreateIntrinsic(dbl ? llvm::Intrinsic::x86_sse2_cvttsd2si
                                              : llvm::Intrinsic::x86_sse_cvttss2si,
                                          {}, {v});
            }
            // fptosi is poison outside the i32 range: select INT_MIN there (and for NaN).
            llvm::Type* t = type(from);
            llvm::Value* lo = llvm::ConstantFP::get(t, -2147483648.0);
            llvm::Value* hi = llvm::ConstantFP::get(t, 2147483648.0);
            llvm::Value* in_range = b_.CreateAnd(b_.CreateFCmpOGE(x, lo), b_.CreateFCmpOLT(x, hi));
            llvm::Value* v = b_.CreateFPToSI(x, i32_);
            return b_.CreateSelect(
                in_range, v,
                b_.getInt32(static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::min())));
        }
        case Op::ItoF:
            return b_.CreateSIToFP(x, type(to));
        case Op::FExt:
            return b_.CreateFPExt(x, type(Type::F64));
        case Op::FTrunc:
            return b_.CreateFPTrunc(x, type(Type::F32));
        default:
            return x;
        }
    }

    llvm::Value* binary(Op op, llvm::Value* x, llvm::Value* y, Type t) {
        bool i = t == Type::I32;
        switch (op) {
        case Op::Add:
            return i ? b_.CreateAdd(x, y) : b_.CreateFAdd(x, y);
        case Op::Sub:
            return i ? b_.CreateSub(x, y) : b_.CreateFSub(x, y);
        case Op::Mul:
            return i ? b_.CreateMul(x, y) : b_.CreateFMul(x, y);
        case Op::Div:
        case Op::Rem: {
            if (!i) {
                return op == Op::Div ? b_.CreateFDiv(x, y) : b_.CreateFRem(x, y);
            }
            // A zero divisor or INT_MIN / -1 gives 0 (sdiv/srem would be UB).
            llvm::Value* int_min =
                b_.getInt32(static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::min()));
            llvm::Value* bad = b_.CreateOr(
                b_.CreateICmpEQ(y, b_.getInt32(0)),
                b_.CreateAnd(b_.CreateICmpEQ(x, int_min),
                             b_.CreateICmpEQ(y, b_.getInt32(static_cast<std::uint32_t>(-1)))));
            llvm::Value* divisor = b_.CreateSelect(bad, b_.getInt32(1), y);
            llvm::Value* r = op == Op::Div ? b_.CreateSDiv(x, divisor) : b_.CreateSRem(x, divisor);
            return b_.CreateSelect(bad, b_.getInt32(0), r);
        }
        case Op::Min: // b < a ? b : a
            return b_.CreateSelect(i ? b_.CreateICmpSLT(y, x) : b_.CreateFCmpOLT(y, x), y, x);
        case Op::Max: // a < b ? b : a
            return b_.CreateSelect(i ? b_.CreateICmpSLT(x, y) : b_.CreateFCmpOLT(x, y), y, x);
        case Op::And:
            return b_.CreateAnd(x, y);
        case Op::Or:
            return b_.CreateOr(x, y);
        case Op::Xor:
            return b_.CreateXor(x, y);
        case Op::Shl:
            return b_.CreateShl(x, b_.CreateAnd(y, b_.getInt32(31)));
        case Op::Shr:
            return b_.CreateAShr(x, b_.CreateAnd(y, b_.getInt32(31)));
        case Op::Lt:
            return b_.CreateZExt(i ? b_.CreateICmpSLT(x, y) : b_.CreateFCmpOLT(x, y), i32_);
        case Op::Le:
            return b_.CreateZExt(i ? b_.CreateICmpSLE(x, y) : b_.CreateFCmpOLE(x, y), i32_);
        case Op::Gt:
            return b_.CreateZExt(i ? b_.CreateICmpSGT(x, y) : b_.CreateFCmpOGT(x, y), i32_);
        case Op::Ge:
            return b_.CreateZExt(i ? b_.CreateICmpSGE(x, y) : b_.CreateFCmpOGE(x, y), i32_);
        case Op::Eq:
            return b_.CreateZExt(i ? b_.CreateICmpEQ(x, y) : b_.CreateFCmpOEQ(x, y), i32_);
        case Op::Ne:
            return b_.CreateZExt(i ? b_.CreateICmpNE(x, y) : b_.CreateFCmpUNE(x, y), i32_);
        default:
            return x;
        }
    }

    llvm::Value* call(const Expr* e) {
        const ir::MathFunction* f = ir::find_math_function(e->callee);
        std::vector<llvm::Value*> args;
        for (const Expr* a : e->a) {
            args.push_back(expr(a));
        }
        if (f == nullptr) {
            return b_.CreateCall(foreign_function(e->callee), args);
        }
        llvm::Intrinsic::ID id = intrinsic_for(f->name);
        if (id != llvm::Intrinsic::not_intrinsic) {
            llvm::Function* decl = llvm::Intrinsic::getDeclaration(
                &mod_, id, {type(ir::math_result_type(f->signature))});
            return b_.CreateCall(decl, args);
        }
        llvm::Function* decl = library_function(*f);
        llvm::CallInst* c = b_.CreateCall(decl, args);
        if (!fast_math_) {
            c->addFnAttr(llvm::Attribute::NoBuiltin);
        }
        return c;
    }

    /// A function of the program's header, by the typed entry point of the shared
    /// object built for it (compiler/foreign_code), which the JIT finds loaded.
    llvm::Function* foreign_function(std::string_view c_name) {
        for (const ir::ForeignFunction& f : m_.foreign) {
            if (f.name != c_name) {
                continue;
            }
            if (llvm::Function* existing = mod_.getFunction(f.symbol)) {
                return existing;
            }
            std::vector<llvm::Type*> params;
            for (ir::Type t : f.params) {
                params.push_back(type(t));
            }
            auto* fty = llvm::FunctionType::get(type(f.result), params, false);
            return llvm::Function::Create(fty, llvm::Function::ExternalLinkage, f.symbol, mod_);
        }
        throw std::runtime_error("call of an unknown function " + std::string(c_name));
    }

    llvm::Function* library_function(const ir::MathFunction& f) {
        llvm::StringRef name(f.name.data(), f.name.size());
        if (llvm::Function* existing = mod_.getFunction(name)) {
            return existing;
        }
        std::vector<llvm::Type*> params;
        for (std::uint32_t i = 0; i < ir::math_arity(f.signature); ++i) {
            params.push_back(type(ir::math_param_type(f.signature, i)));
        }
        auto* fty = llvm::FunctionType::get(type(ir::math_result_type(f.signature)), params, false);
        auto* fn = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, mod_);
        // Exact: not a builtin, LLVM must neither fold it with the host libm nor
        // rewrite it. Fast: LLVM may (libfaust's JIT lets it).
        if (!fast_math_) {
            fn->addFnAttr(llvm::Attribute::NoBuiltin);
        }
        fn->setDoesNotThrow();
        fn->addFnAttr(llvm::Attribute::WillReturn);
        // errno is the only memory these functions touch, and nothing here reads it.
        fn->setDoesNotAccessMemory();
        return fn;
    }

    const ir::Module& m_;
    llvm::LLVMContext& ctx_;
    llvm::Module& mod_;
    llvm::IRBuilder<> b_;
    bool fast_math_ = false;
    bool x86_ = false;
    std::vector<llvm::MDNode*> field_tags_; ///< TBAA access tag of each field
    std::unordered_map<std::uint64_t, KnownField> known_fields_;
    std::vector<std::uint32_t> field_gen_; ///< per field, see KnownField
    std::uint32_t epoch_ = 0;
    std::vector<Promoted> promoted_; ///< of the frame loop being emitted
    std::unordered_set<std::uint64_t> promoted_index_;
    bool promoting_ = false;
    std::optional<std::pair<std::uint64_t, bool>> forced_; ///< version_condition's key, value
    llvm::MDNode* io_tag_ = nullptr;                       ///< of the input and output buffers
    llvm::Type* i8_ = nullptr;
    llvm::Type* i32_ = nullptr;
    llvm::Type* i64_ = nullptr;
    llvm::PointerType* ptr_ = nullptr;
    llvm::Type* void_ = nullptr;

    llvm::Function* fn_ = nullptr;
    const ir::Function* fn_locals_ = nullptr;
    llvm::BasicBlock* entry_ = nullptr;
    llvm::Value* state_ = nullptr;
    llvm::Value* arg_ = nullptr;
    llvm::Value* inputs_ = nullptr;
    llvm::Value* outputs_ = nullptr;
    const ir::ConstantSlots* slots_ = nullptr;
    llvm::Value* consts_ = nullptr; ///< the slots block argument (with slots_)
    llvm::MDNode* slots_tag_ = nullptr;
    std::vector<llvm::AllocaInst*> locals_; ///< null for the SSA locals
    std::vector<bool> ssa_local_;
    std::vector<llvm::Value*> ssa_values_;
    std::vector<std::pair<std::uint32_t, llvm::AllocaInst*>> loops_;
    llvm::AllocaInst* frame_ = nullptr;
    std::vector<llvm::Value*> in_ptrs_;
    std::vector<llvm::Value*> out_ptrs_;
};

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const std::string& l : lines) {
        if (!s.empty()) {
            s += '\n';
        }
        s += l;
    }
    return s;
}

struct Generated {
    std::unique_ptr<llvm::LLVMContext> context;
    std::unique_ptr<llvm::Module> module;
    std::string error;
};

Generated generate(const ir::Module& m, bool fast_math, const std::string& triple = {},
                   const ir::ConstantSlots* slots = nullptr) {
    Generated g;
    std::vector<std::string> errors = ir::verify(m);
    if (!errors.empty()) {
        g.error = "invalid loop IR:\n" + join(errors);
        return g;
    }
    g.context = std::make_unique<llvm::LLVMContext>();
    g.module = std::make_unique<llvm::Module>("tutti", *g.context);
    Emitter(m, *g.context, *g.module, fast_math, triple, slots).module();
    return g;
}

} // namespace

/// Above this many inputs and outputs, no loop vectorization.
constexpr std::uint32_t max_vectorized_channels = 256;

NativeCode compile_native(const ir::Module& m, const jit::JitOptions& options,
                          const ir::ConstantSlots* slots) {
    NativeCode out;
    Generated g = generate(m, options.fast_math, {}, slots);
    if (!g.error.empty()) {
        out.error = std::move(g.error);
        return out;
    }
    jit::JitOptions jo = options;
    if (m.num_inputs + m.num_outputs > max_vectorized_channels) {
        jo.vectorize_loops = false; // see JitOptions::vectorize_loops
    }
    jit::CompileResult r = jit::compile_module(std::move(g.context), std::move(g.module), jo);
    if (!r.module) {
        out.error = std::move(r.error);
        return out;
    }
    std::string error;
    out.init_constants =
        r.module->function<decltype(out.init_constants)>("tutti_init_constants", &error);
    out.reset_controls =
        r.module->function<decltype(out.reset_controls)>("tutti_reset_controls", &error);
    out.clear_state = r.module->function<decltype(out.clear_state)>("tutti_clear_state", &error);
    out.compute = r.module->function<decltype(out.compute)>("tutti_compute", &error);
    if (out.init_constants == nullptr || out.reset_controls == nullptr ||
        out.clear_state == nullptr || out.compute == nullptr) {
        out = NativeCode{};
        out.error = "compiled module lacks a function: " + error;
        return out;
    }
    out.module = std::move(r.module);
    return out;
}

jit::ObjectResult emit_native_object(const ir::Module& m, const jit::JitOptions& options,
                                     const MachineTarget& target) {
    Generated g = generate(m, options.fast_math, target.triple);
    if (!g.error.empty()) {
        jit::ObjectResult r;
        r.error = std::move(g.error);
        return r;
    }
    jit::JitOptions jo = options;
    if (m.num_inputs + m.num_outputs > max_vectorized_channels) {
        jo.vectorize_loops = false;
    }
    return jit::emit_object(std::move(g.context), std::move(g.module), jo, target);
}

std::string emit_llvm_text(const ir::Module& m, bool fast_math) {
    Generated g = generate(m, fast_math);
    if (!g.error.empty()) {
        return g.error;
    }
    std::string s;
    llvm::raw_string_ostream os(s);
    g.module->print(os, nullptr);
    os.flush();
    g.module.reset();
    return s;
}

} // namespace tutti::codegen
