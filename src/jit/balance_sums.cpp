// SPDX-License-Identifier: MIT
#include "jit/balance_sums.h"

#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <unordered_map>
#include <vector>

namespace tutti::jit {

namespace {

/// Below this many terms a chain is left as it is.
constexpr std::size_t min_terms = 8;
/// At most this many partial sums (4 FMA units' worth of latency hidden).
constexpr std::size_t max_chains = 4;

bool reorderable_add(const llvm::Value* v) {
    const auto* op = llvm::dyn_cast<llvm::BinaryOperator>(v);
    return op != nullptr && op->getOpcode() == llvm::Instruction::FAdd && op->hasAllowReassoc() &&
           op->hasNoSignedZeros();
}

/// An addition inside a chain: reorderable, used once, by a reorderable
/// addition of the same block.
bool interior(const llvm::Value* v, const llvm::BasicBlock* bb) {
    if (!reorderable_add(v) || !v->hasOneUse()) {
        return false;
    }
    const auto* user = llvm::dyn_cast<llvm::Instruction>(*v->user_begin());
    return user != nullptr && user->getParent() == bb && reorderable_add(user) &&
           llvm::cast<llvm::Instruction>(v)->getParent() == bb;
}

/// The terms of the sum `root` (left to right) and the additions that make it
/// (each after its only user). Iterative: a chain may be thousands long.
void collect(llvm::BinaryOperator* root, std::vector<llvm::Value*>& terms,
             std::vector<llvm::Instruction*>& adds) {
    const llvm::BasicBlock* bb = root->getParent();
    std::vector<llvm::Value*> todo{root};
    while (!todo.empty()) {
        llvm::Value* v = todo.back();
        todo.pop_back();
        if (v != root && !interior(v, bb)) {
            terms.push_back(v);
            continue;
        }
        auto* add = llvm::cast<llvm::BinaryOperator>(v);
        adds.push_back(add);
        todo.push_back(add->getOperand(1));
        todo.push_back(add->getOperand(0));
    }
}

bool balance(llvm::BinaryOperator* root) {
    std::vector<llvm::Value*> terms;
    std::vector<llvm::Instruction*> adds;
    collect(root, terms, adds);
    if (terms.size() < min_terms) {
        return false;
    }
    std::size_t chains = std::min(max_chains, terms.size() / 4);
    // Terms in the order the block computes them (those from elsewhere first);
    // each addition right after its term, so that no term waits in a register
    // for the end of the block.
    llvm::BasicBlock* bb = root->getParent();
    std::unordered_map<const llvm::Value*, std::size_t> position;
    std::size_t n = 0;
    for (llvm::Instruction& i : *bb) {
        position[&i] = ++n;
    }
    auto at = [&](const llvm::Value* v) {
        auto it = position.find(v);
        return it == position.end() ? std::size_t(0) : it->second;
    };
    std::stable_sort(terms.begin(), terms.end(),
                     [&](const llvm::Value* x, const llvm::Value* y) { return at(x) < at(y); });
    llvm::IRBuilder<> b(root);
    b.setFastMathFlags(root->getFastMathFlags());
    std::vector<llvm::Value*> sums(terms.begin(), terms.begin() + std::ptrdiff_t(chains));
    for (std::size_t i = chains; i < terms.size(); ++i) {
        llvm::Value* t = terms[i];
        if (auto* def = llvm::dyn_cast<llvm::Instruction>(t); def != nullptr && at(t) != 0) {
            b.SetInsertPoint(def->getParent(), std::next(def->getIterator()));
            if (llvm::isa<llvm::PHINode>(def)) {
                b.SetInsertPoint(bb, bb->getFirstInsertionPt());
            }
        } else {
            b.SetInsertPoint(bb, bb->getFirstInsertionPt());
        }
        // never before the partial sum it adds to (the same term twice)
        auto* acc = llvm::dyn_cast<llvm::Instruction>(sums[i % chains]);
        if (acc != nullptr && acc->getParent() == bb && !llvm::isa<llvm::PHINode>(acc) &&
            (b.GetInsertPoint() == bb->end() || !acc->comesBefore(&*b.GetInsertPoint()))) {
            b.SetInsertPoint(bb, std::next(acc->getIterator()));
        }
        sums[i % chains] = b.CreateFAdd(sums[i % chains], t);
    }
    b.SetInsertPoint(root);
    while (sums.size() > 1) {
        std::vector<llvm::Value*> next;
        for (std::size_t i = 0; i + 1 < sums.size(); i += 2) {
            next.push_back(b.CreateFAdd(sums[i], sums[i + 1]));
        }
        if (sums.size() % 2 == 1) {
            next.push_back(sums.back());
        }
        sums = std::move(next);
    }
    sums[0]->takeName(root);
    root->replaceAllUsesWith(sums[0]);
    for (llvm::Instruction* add : adds) { // root first, then each after its only user
        add->eraseFromParent();
    }
    return true;
}

} // namespace

bool balance_sums(llvm::Function& f) {
    bool changed = false;
    for (llvm::BasicBlock& bb : f) {
        std::vector<llvm::BinaryOperator*> roots;
        for (llvm::Instruction& i : bb) {
            if (reorderable_add(&i) && !interior(&i, &bb)) {
                roots.push_back(llvm::cast<llvm::BinaryOperator>(&i));
            }
        }
        for (llvm::BinaryOperator* r : roots) {
            changed |= balance(r);
        }
    }
    return changed;
}

} // namespace tutti::jit
